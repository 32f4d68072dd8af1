//! The `judge` binary: a bad provider configuration stops it with exit code 2 naming the variable, and
//! keys never reach its output.

use std::process::Command;

fn judge() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_judge"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/unreachable",
        )
        .env("BENCHHUB_JUDGE_ADDR", "127.0.0.1:0")
        .env("OPENAI_API_KEY", "sk-binary-test-secret-9876");
    command
}

#[test]
fn bad_provider_configuration_is_named_and_keys_stay_secret() {
    let output = judge()
        .env("BENCHHUB_PROVIDERS", "/nonexistent/providers.toml")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("BENCHHUB_PROVIDERS"), "{stderr}");
    assert!(!stderr.contains("sk-binary-test-secret-9876"), "{stderr}");

    let output = judge()
        .env("OPENAI_BASE_URL", "api.openai.com")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("OPENAI_BASE_URL"), "{stderr}");
    assert!(!stderr.contains("sk-binary-test-secret-9876"), "{stderr}");

    let output = judge()
        .env("BENCHHUB_JUDGE_MAX_CONCURRENCY", "0")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("BENCHHUB_JUDGE_MAX_CONCURRENCY"),
        "{stderr}"
    );
}
