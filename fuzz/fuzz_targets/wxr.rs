//! The WordPress export reader (an uploaded file, read as a stream). Property: any bytes
//! end in items or a `WxrError`, never a panic, a hang or unbounded memory.
#![no_main]

use std::io::Write;

use folio::wordpress::wxr::WxrReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = folio_fuzz::scratch();
    let path = dir.path().join("export.xml");
    let mut file = std::fs::File::create(&path).expect("scratch file");
    file.write_all(data).expect("scratch file");
    drop(file);
    let Ok(mut reader) = WxrReader::open_named(&path, "export.xml") else {
        return;
    };
    // Each step consumes input, so this ends; the bound only keeps a run short.
    for _ in 0..10_000 {
        match reader.next_item() {
            Ok(Some(item)) => {
                let _ = item.describe();
            }
            Ok(None) | Err(_) => break,
        }
    }
    let _ = reader.channel();
    let _ = reader.unknown_namespaces();
});
