//! The `ingest` binary as operators run it: bad configuration exits non-zero naming the variable, a busy
//! port is reported, SIGTERM stops it cleanly, secrets never reach the log.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ingest() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ingest"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/unreachable",
        )
        .env("BENCHHUB_INGEST_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn run_to_end(command: &mut Command) -> (i32, String) {
    let output = command.output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_bad_log_format_names_the_variable_and_the_allowed_values() {
    let (code, stderr) = run_to_end(ingest().env("BENCHHUB_LOG_FORMAT", "xml"));
    assert_eq!(code, 2);
    assert!(stderr.contains("BENCHHUB_LOG_FORMAT"), "{stderr}");
    assert!(stderr.contains("pretty, json"), "{stderr}");
}

#[test]
fn a_missing_database_url_is_named() {
    let (code, stderr) = run_to_end(ingest().env_remove("DATABASE_URL"));
    assert_eq!(code, 2);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
}

#[test]
fn a_bad_source_url_or_schedule_is_named() {
    let (code, stderr) =
        run_to_end(ingest().env("BENCHHUB_SOURCE_OPENROUTER_URL", "openrouter.ai"));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("BENCHHUB_SOURCE_OPENROUTER_URL"),
        "{stderr}"
    );
    let (code, stderr) = run_to_end(ingest().env("BENCHHUB_SOURCE_LMARENA_SCHEDULE", "weekly"));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("BENCHHUB_SOURCE_LMARENA_SCHEDULE"),
        "{stderr}"
    );
}

#[test]
fn a_busy_port_is_reported() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let (code, stderr) = run_to_end(ingest().env("BENCHHUB_INGEST_ADDR", &addr));
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&addr) && stderr.contains("BENCHHUB_INGEST_ADDR"),
        "{stderr}"
    );
}

#[test]
fn sigterm_stops_the_service_cleanly_even_while_it_waits_for_the_database() {
    let mut child = ingest().spawn().expect("starts");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().expect("status").is_none(),
        "still running while the database is unreachable"
    );
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("status") {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn secrets_never_reach_the_log() {
    let child = ingest()
        .env("BENCHHUB_ADMIN_TOKEN", "super-secret-admin-token")
        .env("ARTIFICIAL_ANALYSIS_API_KEY", "super-secret-aa-key")
        .env(
            "DATABASE_URL",
            "postgres://postgres:super-secret-password@127.0.0.1:1/x",
        )
        .env("BENCHHUB_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .spawn()
        .expect("starts");
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let output = child.wait_with_output().expect("output");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        all.contains("database not ready"),
        "the log says what it waits for: {all}"
    );
    for secret in [
        "super-secret-admin-token",
        "super-secret-aa-key",
        "super-secret-password",
    ] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
}
