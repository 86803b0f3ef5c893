//! Fuzz target: the MIB parser and index (`nocwatch_mib::Mibs::from_sources`) take
//! any text without panicking, and every object they index resolves back to itself;
//! index decoding of arbitrary instance arcs and DISPLAY-HINTs of arbitrary data
//! never panic either.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (mibs, _diagnostics) = nocwatch_mib::Mibs::from_sources([("fuzz.mib", text.as_ref())]);
    for obj in mibs.objects() {
        let found = mibs.object_at(&obj.oid).expect("an indexed OID is found");
        assert_eq!(found.oid, obj.oid);
        // instance arcs taken from the input itself: lengths, bytes, garbage
        let mut oid = obj.oid.clone();
        oid.extend(data.iter().take(24).map(|&b| u32::from(b)));
        let text = mibs.format_oid(&oid);
        let _ = mibs.resolve(&text);
        if let Some(hint) = &obj.display_hint {
            let _ = nocwatch_mib::format_octets_hint(hint, data);
            let _ = nocwatch_mib::format_integer_hint(hint, i64::try_from(data.len()).unwrap_or(0));
        }
    }
});
