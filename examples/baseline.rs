//! The baseline for bench/http.sh: a bare actix-web handler that returns a fixed page
//! (the same bytes Folio sent for the page being measured), with as many workers.
//!
//!     cargo run --release --example baseline -- PAGE.html PORT [WORKERS]

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(file), Some(port)) = (
        args.first(),
        args.get(1).and_then(|p| p.parse::<u16>().ok()),
    ) else {
        eprintln!("usage: baseline PAGE.html PORT [WORKERS]");
        std::process::exit(2);
    };
    let workers = args.get(2).and_then(|w| w.parse().ok()).unwrap_or(2);
    let page = web::Bytes::from(std::fs::read(file)?);
    HttpServer::new(move || {
        let page = page.clone();
        App::new().default_service(web::to(move || {
            let page = page.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("text/html; charset=utf-8")
                    .body(page)
            }
        }))
    })
    .workers(workers)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
