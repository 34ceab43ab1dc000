//! `folio import` on an archive of any bytes (gzip → tar → manifest.json, content.json,
//! media/). Property: an error message or an import, never a panic. Each run gets a fresh
//! data directory; an archive good enough to reach the database imports into SQLite there.
//! Input that is not gzip is compressed first, so the fuzzer also reaches the tar and JSON
//! layers directly instead of mostly breaking the deflate stream.
#![no_main]

use std::io::Write;

use folio::config::StorageConfig;
use folio::db::DatabaseUrl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = folio_fuzz::scratch();
    let archive = dir.path().join("site.tar.gz");
    let bytes = if data.starts_with(&[0x1f, 0x8b]) {
        data.to_vec()
    } else {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(data).expect("in memory");
        gzip.finish().expect("in memory")
    };
    std::fs::write(&archive, bytes).expect("scratch file");
    let data_dir = dir.path().join("data");
    let storage = StorageConfig {
        database: DatabaseUrl::Sqlite(data_dir.join("folio.db")),
        media_dir: data_dir.join("media"),
        data_dir,
    };
    // Small caps, so the fuzzer explores the size checks rather than large allocations.
    let options = folio::export::ImportOptions {
        merge: false,
        allow_admins: false,
        max_content_bytes: 1024 * 1024,
        max_media_bytes: 1024 * 1024,
    };
    let _ = folio::export::import(&storage, &archive, &options);
});
