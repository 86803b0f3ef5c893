//! Parser and index tests on small inline MIB texts.

use crate::{Access, BaseType, Diagnostic, MibError, Mibs, NodeKind};

fn load(sources: &[(&str, &str)]) -> (Mibs, Vec<Diagnostic>) {
    Mibs::from_sources(sources.iter().map(|(f, t)| (*f, *t)))
}

fn oid(mibs: &Mibs, name: &str) -> Option<Vec<u32>> {
    mibs.lookup(name).map(|o| o.oid.clone())
}

const TC_MIB: &str = r#"
TEST-TC DEFINITIONS ::= BEGIN
IMPORTS TEXTUAL-CONVENTION FROM SNMPv2-TC;

TestString ::= TEXTUAL-CONVENTION
    DISPLAY-HINT "255a"
    STATUS       current
    DESCRIPTION  "A string
                  spanning -- not a comment inside a string
                  lines."
    SYNTAX       OCTET STRING (SIZE (0..255))

TestStatus ::= TEXTUAL-CONVENTION
    STATUS current
    DESCRIPTION "enum TC"
    SYNTAX INTEGER { active(1), notInService(2) }

Nested ::= TEXTUAL-CONVENTION
    STATUS current
    DESCRIPTION "TC of a TC"
    SYNTAX TestString (SIZE (0..32))

PlainType ::= INTEGER (0..100)
END
"#;

const TEST_MIB: &str = r#"
-- leading comment
TEST-MIB DEFINITIONS ::= BEGIN

IMPORTS
    MODULE-IDENTITY, OBJECT-TYPE, NOTIFICATION-TYPE, OBJECT-IDENTITY,
    Counter32, Integer32, mib-2, enterprises
        FROM SNMPv2-SMI           -- not loaded in these tests
    TestString, TestStatus, Nested, PlainType
        FROM TEST-TC
    OBJECT-GROUP, NOTIFICATION-GROUP, MODULE-COMPLIANCE, AGENT-CAPABILITIES
        FROM SNMPv2-CONF;

testMIB MODULE-IDENTITY
    LAST-UPDATED "202601010000Z"
    ORGANIZATION "x"
    CONTACT-INFO "y"
    DESCRIPTION  "z"
    REVISION     "202601010000Z"
    DESCRIPTION  "first"
    ::= { enterprises 99999 }

testObjects   OBJECT IDENTIFIER ::= { testMIB 1 }
testAbsolute  OBJECT IDENTIFIER ::= { iso org(3) dod(6) 1 4 1 99999 2 }
testNamedArcs OBJECT IDENTIFIER ::= { iso(1) org(3) 77 }
testImplicit  OBJECT IDENTIFIER ::= { iso org(3) implicitArc(78) 1 }

testIdentity OBJECT-IDENTITY
    STATUS current
    DESCRIPTION "an identity"
    ::= { testObjects 9 }

testTable OBJECT-TYPE
    SYNTAX      SEQUENCE OF TestEntry
    MAX-ACCESS  not-accessible
    STATUS      current
    DESCRIPTION "table"
    ::= { testObjects 1 }

testEntry OBJECT-TYPE
    SYNTAX      TestEntry
    MAX-ACCESS  not-accessible
    STATUS      current
    DESCRIPTION "row"
    INDEX       { testIndex, IMPLIED testName }
    ::= { testTable 1 }

TestEntry ::= SEQUENCE {
    testIndex   Integer32,
    testName    TestString,
    testStatus  INTEGER,
    testCount   Counter32
}

testIndex OBJECT-TYPE
    SYNTAX      Integer32 (1..2147483647)
    MAX-ACCESS  not-accessible
    STATUS      current
    DESCRIPTION "index"
    ::= { testEntry 1 }

testName OBJECT-TYPE
    SYNTAX      Nested
    MAX-ACCESS  read-create
    STATUS      current
    DESCRIPTION "name"
    ::= { testEntry 2 }

testStatus OBJECT-TYPE
    SYNTAX      INTEGER { up(1), down(2) testing(3) }
    MAX-ACCESS  read-write
    STATUS      current
    DESCRIPTION "enum with a missing comma"
    DEFVAL      { up }
    ::= { testEntry 3 }

testCount OBJECT-TYPE
    SYNTAX      Counter32
    UNITS       "packets"
    MAX-ACCESS  read-only
    STATUS      current
    DESCRIPTION "counter"
    ::= { testEntry 4 }

testTcEnum OBJECT-TYPE
    SYNTAX      TestStatus
    MAX-ACCESS  read-only
    STATUS      current
    DESCRIPTION "enum via TC"
    ::= { testObjects 2 }

testPlain OBJECT-TYPE
    SYNTAX      PlainType
    MAX-ACCESS  read-only
    STATUS      current
    DESCRIPTION "plain type assignment"
    ::= { testObjects 3 }

testAugTable OBJECT-TYPE
    SYNTAX      SEQUENCE OF TestAugEntry
    MAX-ACCESS  not-accessible
    STATUS      current
    DESCRIPTION "aug"
    ::= { testObjects 4 }

testAugEntry OBJECT-TYPE
    SYNTAX      TestAugEntry
    MAX-ACCESS  not-accessible
    STATUS      current
    DESCRIPTION "aug row"
    AUGMENTS    { testEntry }
    ::= { testAugTable 1 }

testNotif NOTIFICATION-TYPE
    OBJECTS     { testStatus, testCount }
    STATUS      current
    DESCRIPTION "notif"
    ::= { testMIB 0 1 }

testGroup OBJECT-GROUP
    OBJECTS { testName, testStatus }
    STATUS current
    DESCRIPTION "g"
    ::= { testMIB 3 1 }

testNotifGroup NOTIFICATION-GROUP
    NOTIFICATIONS { testNotif }
    STATUS current
    DESCRIPTION "ng"
    ::= { testMIB 3 2 }

testCompliance MODULE-COMPLIANCE
    STATUS current
    DESCRIPTION "c"
    MODULE -- this module
        MANDATORY-GROUPS { testGroup }
        GROUP testNotifGroup
        DESCRIPTION "optional"
        OBJECT testStatus
        SYNTAX INTEGER { up(1) }
        MIN-ACCESS read-only
        DESCRIPTION "restricted"
    ::= { testMIB 3 3 }

testCaps AGENT-CAPABILITIES
    PRODUCT-RELEASE "1.0"
    STATUS current
    DESCRIPTION "caps"
    SUPPORTS TEST-MIB
        INCLUDES { testGroup }
        VARIATION testStatus
            SYNTAX INTEGER { up(1) }
            DESCRIPTION "v"
    ::= { testMIB 3 4 }
END
"#;

const V1_MIB: &str = r#"
TEST-V1-MIB DEFINITIONS ::= BEGIN
IMPORTS enterprises, Counter FROM RFC1155-SMI
        OBJECT-TYPE FROM RFC-1212
        TRAP-TYPE FROM RFC-1215
        DisplayString FROM RFC1213-MIB;

OBJECT-TYPE MACRO ::=
BEGIN
    TYPE NOTATION ::= "SYNTAX" type(TYPE ObjectSyntax)
    VALUE NOTATION ::= value(VALUE ObjectName)
END

v1 OBJECT IDENTIFIER ::= { enterprises 88888 }

v1Counter OBJECT-TYPE
    SYNTAX  Counter
    ACCESS  read-only
    STATUS  mandatory
    DESCRIPTION "v1 counter"
    ::= { v1 1 }

v1Trap TRAP-TYPE
    ENTERPRISE v1
    VARIABLES  { v1Counter }
    DESCRIPTION "trap"
    ::= 5
END
"#;

#[test]
fn parses_every_construct() {
    let (mibs, diags) = load(&[("TEST-TC.txt", TC_MIB), ("test.mib", TEST_MIB)]);
    assert!(diags.is_empty(), "{diags:?}");
    let ent = [1, 3, 6, 1, 4, 1, 99999];
    assert_eq!(oid(&mibs, "TEST-MIB::testMIB"), Some(ent.to_vec()));
    assert_eq!(
        oid(&mibs, "testAbsolute"),
        Some(vec![1, 3, 6, 1, 4, 1, 99999, 2])
    );
    assert_eq!(oid(&mibs, "testNamedArcs"), Some(vec![1, 3, 77]));
    // Named arcs inside values name nodes too (built-ins keep their module).
    assert_eq!(
        mibs.lookup("TEST-MIB::implicitArc").map(|o| o.oid.clone()),
        Some(vec![1, 3, 78])
    );
    assert_eq!(mibs.format_oid(&[1, 3]), "SNMPv2-SMI::org");
    assert_eq!(
        mibs.lookup("testMIB").map(|o| o.kind),
        Some(NodeKind::ModuleIdentity)
    );
    assert_eq!(
        oid(&mibs, "testIdentity"),
        Some([&ent[..], &[1, 9]].concat())
    );

    let entry = mibs.lookup("testEntry");
    let index: Vec<(String, bool)> = entry
        .map(|e| {
            e.index
                .iter()
                .map(|i| (i.name.clone(), i.implied))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        index,
        [
            ("testIndex".to_owned(), false),
            ("testName".to_owned(), true)
        ]
    );
    assert_eq!(entry.and_then(|e| e.base_type), Some(BaseType::Sequence));
    assert_eq!(
        mibs.lookup("testTable").and_then(|e| e.base_type),
        Some(BaseType::SequenceOf)
    );
    assert_eq!(
        mibs.lookup("testAugEntry").and_then(|e| e.augments.clone()),
        Some("testEntry".to_owned())
    );

    let status = mibs.lookup("testStatus");
    assert_eq!(status.and_then(|o| o.access), Some(Access::ReadWrite));
    assert_eq!(status.and_then(|o| o.base_type), Some(BaseType::Integer));
    assert_eq!(
        status.map(|o| o.enums.clone()),
        Some(vec![
            (1, "up".to_owned()),
            (2, "down".to_owned()),
            (3, "testing".to_owned())
        ])
    );

    let name = mibs.lookup("testName");
    assert_eq!(name.and_then(|o| o.access), Some(Access::ReadCreate));
    assert_eq!(name.and_then(|o| o.base_type), Some(BaseType::OctetString));
    assert_eq!(
        name.and_then(|o| o.tc_name.clone()),
        Some("Nested".to_owned())
    );
    assert_eq!(
        name.and_then(|o| o.display_hint.clone()),
        Some("255a".to_owned())
    );
    assert_eq!(
        mibs.lookup("testCount").and_then(|o| o.base_type),
        Some(BaseType::Counter32)
    );
    let tc_enum = mibs.lookup("testTcEnum");
    assert_eq!(tc_enum.map(|o| o.enums.len()), Some(2));
    assert_eq!(
        tc_enum.and_then(|o| o.tc_name.clone()),
        Some("TestStatus".to_owned())
    );
    let plain = mibs.lookup("testPlain");
    assert_eq!(plain.and_then(|o| o.base_type), Some(BaseType::Integer));
    // a plain type assignment counts as a TC for net-snmp (`-Td` says so)
    assert_eq!(
        plain.and_then(|o| o.tc_name.clone()),
        Some("PlainType".to_owned())
    );
    assert_eq!(plain.and_then(|o| o.display_hint.clone()), None);

    let notif = mibs.lookup("testNotif");
    assert_eq!(notif.map(|o| o.kind), Some(NodeKind::NotificationType));
    assert_eq!(
        notif.map(|o| o.objects.clone()),
        Some(vec!["testStatus".to_owned(), "testCount".to_owned()])
    );
    assert_eq!(
        notif.map(|o| o.oid.clone()),
        Some([&ent[..], &[0, 1]].concat())
    );
    for (n, arc) in [
        ("testGroup", 1),
        ("testNotifGroup", 2),
        ("testCompliance", 3),
        ("testCaps", 4),
    ] {
        assert_eq!(oid(&mibs, n), Some([&ent[..], &[3, arc]].concat()), "{n}");
    }
}

#[test]
fn smiv1_macro_and_trap_type() {
    let (mibs, diags) = load(&[("v1", V1_MIB)]);
    assert!(diags.is_empty(), "{diags:?}");
    let counter = mibs.lookup("TEST-V1-MIB::v1Counter");
    assert_eq!(counter.and_then(|o| o.access), Some(Access::ReadOnly));
    assert_eq!(counter.and_then(|o| o.base_type), Some(BaseType::Counter32));
    let trap = mibs.lookup("v1Trap");
    assert_eq!(trap.map(|o| o.kind), Some(NodeKind::TrapType));
    assert_eq!(
        trap.map(|o| o.oid.clone()),
        Some(vec![1, 3, 6, 1, 4, 1, 88888, 0, 5])
    );
    assert_eq!(trap.map(|o| o.objects.len()), Some(1));
}

#[test]
fn index_lookups() {
    let (mibs, _) = load(&[("TEST-TC.txt", TC_MIB), ("test.mib", TEST_MIB)]);
    let count = mibs.resolve("TEST-MIB::testCount.42").ok();
    let expected = vec![1, 3, 6, 1, 4, 1, 99999, 1, 1, 1, 4, 42];
    assert_eq!(count.as_ref(), Some(&expected));
    assert_eq!(mibs.resolve("testCount.42").ok(), Some(expected.clone()));
    assert_eq!(
        mibs.resolve(".1.3.6.1.4.1.99999.1.1.1.4.42").ok(),
        Some(expected.clone())
    );
    assert_eq!(
        mibs.lookup_oid(&expected)
            .map(|(o, rest)| (o.name.as_str(), rest)),
        Some(("testCount", &[42u32][..]))
    );
    assert_eq!(mibs.format_oid(&expected), "TEST-MIB::testCount.42");
    // Built-in roots, since SNMPv2-SMI is not loaded here.
    assert_eq!(
        mibs.format_oid(&[1, 3, 6, 1, 2, 1, 5]),
        "SNMPv2-SMI::mib-2.5"
    );
    assert_eq!(mibs.format_oid(&[3, 1]), ".3.1");
    assert!(matches!(
        mibs.resolve("TEST-MIB::nothing"),
        Err(MibError::UnknownName(_))
    ));
    assert!(matches!(
        mibs.resolve("testCount.x"),
        Err(MibError::BadOid(_))
    ));
}

#[test]
fn wrong_import_falls_back_to_any_module() {
    let a = "A-MIB DEFINITIONS ::= BEGIN\n aRoot OBJECT IDENTIFIER ::= { enterprises 1 }\nEND";
    let b = "B-MIB DEFINITIONS ::= BEGIN\nIMPORTS aRoot FROM WRONG-MIB;\n bNode OBJECT IDENTIFIER ::= { aRoot 2 }\nEND";
    // Loaded in "wrong" order and with file names unrelated to module names.
    let (mibs, diags) = load(&[("zzz", b), ("aaa", a)]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        oid(&mibs, "B-MIB::bNode"),
        Some(vec![1, 3, 6, 1, 4, 1, 1, 2])
    );
}

#[test]
fn import_wins_over_other_modules() {
    let a = "A-MIB DEFINITIONS ::= BEGIN\n root OBJECT IDENTIFIER ::= { enterprises 1 }\nEND";
    let c = "C-MIB DEFINITIONS ::= BEGIN\n root OBJECT IDENTIFIER ::= { enterprises 3 }\nEND";
    let b = "B-MIB DEFINITIONS ::= BEGIN\nIMPORTS root FROM C-MIB;\n n OBJECT IDENTIFIER ::= { root 2 }\nEND";
    let (mibs, _) = load(&[("a", a), ("b", b), ("c", c)]);
    assert_eq!(oid(&mibs, "B-MIB::n"), Some(vec![1, 3, 6, 1, 4, 1, 3, 2]));
    // Bare names resolve to the module net-snmp reads first: the last one found.
    assert_eq!(oid(&mibs, "root"), Some(vec![1, 3, 6, 1, 4, 1, 3]));
}

#[test]
fn an_oid_two_modules_define_is_named_by_the_one_netsnmp_reads_first() {
    // Found in the order a, b, c, d; read from the last found: D-MIB, which imports
    // from B-MIB, so B-MIB is read before it, then D-MIB, then C-MIB and A-MIB.
    let a = "A-MIB DEFINITIONS ::= BEGIN\n x OBJECT IDENTIFIER ::= { enterprises 1 }\n y OBJECT IDENTIFIER ::= { enterprises 2 }\nEND";
    let b = "B-MIB DEFINITIONS ::= BEGIN\n x OBJECT IDENTIFIER ::= { enterprises 1 }\nEND";
    let c = "C-MIB DEFINITIONS ::= BEGIN\n y OBJECT IDENTIFIER ::= { enterprises 2 }\nEND";
    let d =
        "D-MIB DEFINITIONS ::= BEGIN\nIMPORTS x FROM B-MIB;\n z OBJECT IDENTIFIER ::= { x 9 }\nEND";
    let (mibs, diags) = load(&[("a", a), ("b", b), ("c", c), ("d", d)]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(mibs.format_oid(&[1, 3, 6, 1, 4, 1, 1]), "B-MIB::x");
    assert_eq!(mibs.format_oid(&[1, 3, 6, 1, 4, 1, 2, 5]), "C-MIB::y.5");
    assert_eq!(mibs.format_oid(&[1, 3, 6, 1, 4, 1, 1, 9]), "D-MIB::z");
    // each module still resolves its own names
    assert_eq!(oid(&mibs, "A-MIB::x"), Some(vec![1, 3, 6, 1, 4, 1, 1]));
}

#[test]
fn malformed_input_gives_diagnostics_with_lines() {
    let bad = "BAD-MIB DEFINITIONS ::= BEGIN\n\
               good1 OBJECT IDENTIFIER ::= { enterprises 1 }\n\
               broken OBJECT-TYPE\n    SYNTAX INTEGER { a(1) b }\n    ::= { good1 1 }\n\
               good2 OBJECT IDENTIFIER ::= { good1 2 }\n\
               orphan OBJECT IDENTIFIER ::= { nowhere 3 }\n\
               loopA OBJECT IDENTIFIER ::= { loopB 1 }\n\
               loopB OBJECT IDENTIFIER ::= { loopA 1 }\n\
               END\n";
    let other = "OK-MIB DEFINITIONS ::= BEGIN\n ok OBJECT IDENTIFIER ::= { enterprises 7 }\nEND";
    let (mibs, diags) = load(&[("bad.txt", bad), ("ok.txt", other)]);
    let lines: Vec<(u32, String)> = diags
        .iter()
        .map(|d| (d.line, d.error.to_string()))
        .collect();
    assert!(lines.iter().any(|(l, _)| *l == 4), "{lines:?}");
    assert!(
        lines.iter().any(|(l, m)| *l == 7 && m.contains("nowhere")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|(_, m)| m.contains("circular")),
        "{lines:?}"
    );
    assert!(diags.iter().all(|d| d.module.as_deref() == Some("BAD-MIB")));
    assert!(diags.iter().all(|d| d.file.to_str() == Some("bad.txt")));
    assert!(oid(&mibs, "good2").is_some());
    assert!(oid(&mibs, "ok").is_some());
    assert!(oid(&mibs, "broken").is_none());
    let shown = diags.first().map(ToString::to_string).unwrap_or_default();
    assert!(shown.starts_with("bad.txt:"), "{shown}");
}

#[test]
fn truncated_and_garbage_inputs_do_not_panic() {
    let inputs = [
        "",
        "X DEFINITIONS",
        "X DEFINITIONS ::= BEGIN",
        "X DEFINITIONS ::= BEGIN IMPORTS a, b FROM",
        "X DEFINITIONS ::= BEGIN a OBJECT-TYPE SYNTAX INTEGER {",
        "X DEFINITIONS ::= BEGIN a OBJECT IDENTIFIER ::= { b 99999999999 } END",
        "X DEFINITIONS ::= BEGIN \"unterminated\n string END",
        "X DEFINITIONS ::= BEGIN T ::= SEQUENCE { a INTEGER ",
        "X DEFINITIONS ::= BEGIN } } ) ( @@@ \u{fffd} END",
        "X DEFINITIONS ::= BEGIN a TRAP-TYPE VARIABLES { b } ::= 1 END",
    ];
    for text in inputs {
        let (_, diags) = load(&[("f", text)]);
        if !text.is_empty() {
            assert!(!diags.is_empty(), "no diagnostic for {text:?}");
        }
    }
    // Every prefix of a real module.
    for cut in (0..TEST_MIB.len()).step_by(97) {
        if let Some(prefix) = TEST_MIB.get(..cut) {
            let _ = load(&[("f", prefix)]);
        }
    }
}

#[test]
fn duplicate_modules_keep_the_first() {
    let a = "D DEFINITIONS ::= BEGIN x OBJECT IDENTIFIER ::= { enterprises 1 } END";
    let b = "D DEFINITIONS ::= BEGIN x OBJECT IDENTIFIER ::= { enterprises 2 } END";
    let (mibs, diags) = load(&[("a", a), ("b", b)]);
    assert_eq!(oid(&mibs, "D::x"), Some(vec![1, 3, 6, 1, 4, 1, 1]));
    assert!(matches!(
        diags.first().map(|d| &d.error),
        Some(MibError::DuplicateModule(_))
    ));
    assert_eq!(mibs.modules().len(), 1);
}

#[test]
fn two_modules_in_one_file() {
    let text = "A DEFINITIONS ::= BEGIN a OBJECT IDENTIFIER ::= { enterprises 1 } END\n\
                B DEFINITIONS ::= BEGIN IMPORTS a FROM A; b OBJECT IDENTIFIER ::= { a 1 } END";
    let (mibs, diags) = load(&[("f", text)]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(oid(&mibs, "B::b"), Some(vec![1, 3, 6, 1, 4, 1, 1, 1]));
}

#[test]
fn index_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Mibs>();
}

const TABLE_MIB: &str = r#"
TBL-MIB DEFINITIONS ::= BEGIN
IMPORTS enterprises, OBJECT-TYPE, Integer32, IpAddress FROM SNMPv2-SMI
        TEXTUAL-CONVENTION FROM SNMPv2-TC;
Mac ::= TEXTUAL-CONVENTION
    DISPLAY-HINT "1x:"
    STATUS current
    DESCRIPTION "mac"
    SYNTAX OCTET STRING (SIZE (6))
InetAddressType ::= TEXTUAL-CONVENTION
    STATUS current
    DESCRIPTION "t"
    SYNTAX INTEGER { unknown(0), ipv4(1), ipv6(2) }
InetAddress ::= TEXTUAL-CONVENTION
    STATUS current
    DESCRIPTION "a"
    SYNTAX OCTET STRING (SIZE (0..255))
tbl OBJECT IDENTIFIER ::= { enterprises 99 }
tTable OBJECT-TYPE
    SYNTAX SEQUENCE OF TEntry
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "t"
    ::= { tbl 1 }
tEntry OBJECT-TYPE
    SYNTAX TEntry
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "e"
    INDEX { tKind, tName, tMac, tAddr, IMPLIED tTag }
    ::= { tTable 1 }
TEntry ::= SEQUENCE { tKind INTEGER, tName OCTET STRING, tMac Mac, tAddr IpAddress, tTag OCTET STRING, tValue Integer32 }
tKind OBJECT-TYPE
    SYNTAX INTEGER { red(1), blue(2) }
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "k"
    ::= { tEntry 1 }
tName OBJECT-TYPE
    SYNTAX OCTET STRING (SIZE (0..32))
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "n"
    ::= { tEntry 2 }
tMac OBJECT-TYPE
    SYNTAX Mac
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "m"
    ::= { tEntry 3 }
tAddr OBJECT-TYPE
    SYNTAX IpAddress
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "a"
    ::= { tEntry 4 }
tTag OBJECT-TYPE
    SYNTAX OCTET STRING
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "t"
    ::= { tEntry 5 }
tValue OBJECT-TYPE
    SYNTAX Integer32
    UNITS "seconds"
    MAX-ACCESS read-only
    STATUS current
    DESCRIPTION "v"
    ::= { tEntry 6 }
xTable OBJECT-TYPE
    SYNTAX SEQUENCE OF XEntry
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "x"
    ::= { tbl 2 }
xEntry OBJECT-TYPE
    SYNTAX XEntry
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "x"
    AUGMENTS { tEntry }
    ::= { xTable 1 }
XEntry ::= SEQUENCE { xExtra Integer32 }
xExtra OBJECT-TYPE
    SYNTAX Integer32
    MAX-ACCESS read-only
    STATUS current
    DESCRIPTION "x"
    ::= { xEntry 1 }
aTable OBJECT-TYPE
    SYNTAX SEQUENCE OF AEntry
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "a"
    ::= { tbl 3 }
aEntry OBJECT-TYPE
    SYNTAX AEntry
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "a"
    INDEX { aType, aAddr }
    ::= { aTable 1 }
AEntry ::= SEQUENCE { aType InetAddressType, aAddr InetAddress, aValue Integer32 }
aType OBJECT-TYPE
    SYNTAX InetAddressType
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "a"
    ::= { aEntry 1 }
aAddr OBJECT-TYPE
    SYNTAX InetAddress
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "a"
    ::= { aEntry 2 }
aValue OBJECT-TYPE
    SYNTAX Integer32
    MAX-ACCESS read-only
    STATUS current
    DESCRIPTION "a"
    ::= { aEntry 3 }
END
"#;

#[test]
fn table_index_is_decoded_as_net_snmp_prints_it() {
    let (mibs, diags) = load(&[("tbl", TABLE_MIB)]);
    assert!(diags.is_empty(), "{diags:?}");
    let value = mibs.lookup("tValue").unwrap();
    assert_eq!(value.units.as_deref(), Some("seconds"));
    assert_eq!(mibs.lookup("tMac").unwrap().fixed_size, Some(6));
    assert_eq!(mibs.lookup("tName").unwrap().fixed_size, None);
    let mut oid = value.oid.clone();
    // red, "ab" (length 2), a MAC (6 arcs, no length: single quotes, as IMPLIED),
    // 10.0.0.1, IMPLIED "x\0"
    oid.extend([1, 2, 97, 98, 2, 252, 0, 0, 0, 5, 10, 0, 0, 1, 120, 0]);
    assert_eq!(
        mibs.format_oid(&oid),
        "TBL-MIB::tValue.red.\"ab\".'......'.10.0.0.1.'x.'"
    );
    // the index as input resolves back to the same OID
    assert_eq!(
        mibs.resolve("TBL-MIB::tValue.1.\"ab\".2.252.0.0.0.5.10.0.0.1.'x'")
            .unwrap()
            .len(),
        oid.len() - 1
    );
    // an enumeration value the MIB does not list stays a number; a string longer
    // than what is left is printed in numbers from there
    let mut odd = value.oid.clone();
    odd.extend([7, 9, 97]);
    assert_eq!(mibs.format_oid(&odd), "TBL-MIB::tValue.7.9.97");
    // AUGMENTS: the augmented table's INDEX
    let mut x = mibs.lookup("xExtra").unwrap().oid.clone();
    x.extend([2, 0]);
    assert_eq!(mibs.format_oid(&x), "TBL-MIB::xExtra.blue.\"\"");
    // InetAddress after InetAddressType: an address, not a string
    let a = mibs.lookup("aValue").unwrap().oid.clone();
    let with = |idx: &[u32]| {
        let mut o = a.clone();
        o.extend_from_slice(idx);
        mibs.format_oid(&o)
    };
    assert_eq!(
        with(&[1, 4, 192, 0, 2, 1]),
        "TBL-MIB::aValue.ipv4.\"192.0.2.1\""
    );
    assert_eq!(
        with(&[2, 16, 254, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        "TBL-MIB::aValue.ipv6.\"fe:80:00:00:00:00:00:00:00:00:00:00:00:00:00:01\""
    );
    assert_eq!(with(&[1, 3, 65, 66, 1]), "TBL-MIB::aValue.ipv4.\"AB.\"");
    assert_eq!(
        mibs.format_oid_as(&value.oid, crate::OidStyle::Full),
        ".iso.org.dod.internet.private.enterprises.tbl.tTable.tEntry.tValue"
    );
}
