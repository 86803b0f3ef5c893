//! Fuzz target: the MIB parser and index (`nocwatch_mib::Mibs::from_sources`) take
//! any text without panicking, and every object they index resolves back to itself.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (mibs, _diagnostics) = nocwatch_mib::Mibs::from_sources([("fuzz.mib", text.as_ref())]);
    for obj in mibs.objects() {
        let found = mibs.object_at(&obj.oid).expect("an indexed OID is found");
        assert_eq!(found.oid, obj.oid);
    }
});
