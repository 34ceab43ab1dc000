//! `folio import` on an archive of any bytes (gzip → tar → manifest.json, content.json,
//! media/). Property: an error message or an import, never a panic. Each run gets a fresh
//! data directory; an archive good enough to reach the database imports into SQLite there.
#![no_main]

use folio::config::StorageConfig;
use folio::db::DatabaseUrl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = folio_fuzz::scratch();
    let archive = dir.path().join("site.tar.gz");
    std::fs::write(&archive, data).expect("scratch file");
    let data_dir = dir.path().join("data");
    let storage = StorageConfig {
        database: DatabaseUrl::Sqlite(data_dir.join("folio.db")),
        media_dir: data_dir.join("media"),
        data_dir,
    };
    let _ = folio::export::import(&storage, &archive, false);
});
