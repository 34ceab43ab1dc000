use std::process::ExitCode;

use clap::Parser;
use folio::config::{Cli, Command, GlobalArgs, ServeArgs, ServeConfig};
use folio::{cli, startup, telemetry};

fn main() -> ExitCode {
    let args = Cli::parse();
    if let Err(message) = telemetry::init(args.global.log_format, &args.global.log) {
        eprintln!("error: {message}");
        return ExitCode::FAILURE;
    }
    let outcome = match args.command {
        None => serve(&args.global, &args.serve),
        Some(Command::Serve(serve_args)) => serve(&args.global, &serve_args),
        Some(Command::Migrate) => cli::migrate(&args.global),
        Some(Command::User(command)) => cli::user(&args.global, command),
        Some(Command::Mail(command)) => cli::mail(command),
        Some(Command::Seed { posts, force }) => cli::seed(&args.global, posts, force),
        Some(Command::Backup { output, force }) => cli::backup(&args.global, &output, force),
        Some(Command::Export {
            output,
            include_credentials,
            force,
        }) => cli::export(&args.global, &output, include_credentials, force),
        Some(Command::Import {
            file,
            merge,
            allow_admins,
            max_content_mb,
            max_upload_mb,
        }) => cli::import(
            &args.global,
            &file,
            &folio::export::ImportOptions {
                merge,
                allow_admins,
                max_content_bytes: max_content_mb * 1024 * 1024,
                max_media_bytes: max_upload_mb * 1024 * 1024,
            },
        ),
        Some(Command::ImportWordpress {
            file,
            uploads,
            author_role,
            max_upload_mb,
        }) => cli::import_wordpress(&args.global, &file, uploads, author_role, max_upload_mb),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(global: &GlobalArgs, serve: &ServeArgs) -> Result<(), String> {
    let config = ServeConfig::from_args(global, serve)?;
    if let Some(file) = &config.test_clock_file {
        folio::clock::follow_offset_file(file.clone());
    }
    actix_web::rt::System::new().block_on(startup::serve(config))
}
