//! `benchctl fake-provider`: runs the local OpenAI-compatible fake LLM provider (for the demo and
//! manual testing) until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use benchhub_fake_provider::FakeConfig;

/// Arguments of `benchctl fake-provider`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Models need no configuration: their names say what they do, e.g. fake/good, fake/okay, fake/bad (answer
quality), fake/echo, fake/judge, fake/judge-malformed, fake/judge-malformed-once, fake/judge-biased, with
options such as fake/good+latency=100ms+err500=0.05+err429=0.05. A prompt containing <<answer:TEXT>> tells
the good/okay/bad models the expected answer. Point the services at it with
BENCHHUB_FAKE_PROVIDER_URL=http://ADDR. GET /stats and GET /requests show what it received.")]
pub struct FakeProviderArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "BENCHHUB_FAKE_PROVIDER_ADDR",
        default_value = "127.0.0.1:8090"
    )]
    pub addr: SocketAddr,
    /// JSON file with per-model behaviour (seed, models: answer mode, latency, error rates).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Seed of latency and error draws (overrides the file's).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Loads the configuration the arguments describe.
pub fn load_config(args: &FakeProviderArgs) -> anyhow::Result<FakeConfig> {
    let mut config = match &args.config {
        Some(path) => FakeConfig::from_file(path).map_err(anyhow::Error::msg)?,
        None => FakeConfig::new(),
    };
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    Ok(config)
}

/// Serves until interrupted.
pub async fn run(args: &FakeProviderArgs) -> anyhow::Result<()> {
    let config = load_config(args)?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}; is the port in use?", args.addr))?;
    let addr = listener.local_addr()?;
    println!(
        "fake provider listening on http://{addr} (set BENCHHUB_FAKE_PROVIDER_URL=http://{addr})"
    );
    benchhub_fake_provider::serve(listener, config, benchhub_common::shutdown::signal())
        .await
        .context("the fake provider stopped with an error")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_overrides_the_file() {
        let directory = std::env::temp_dir().join(format!("benchctl-fake-{}", std::process::id()));
        std::fs::create_dir_all(&directory).expect("temp dir");
        let path = directory.join("fake.json");
        std::fs::write(
            &path,
            r#"{"seed": 3, "models": {"m": {"answer": {"mode": "echo"}}}}"#,
        )
        .expect("write");
        let args = FakeProviderArgs {
            addr: "127.0.0.1:0".parse().expect("addr"),
            config: Some(path.clone()),
            seed: Some(9),
        };
        let config = load_config(&args).expect("valid");
        assert_eq!(config.seed, 9);
        assert!(config.models.contains_key("m"));
        std::fs::write(&path, r#"{"models": {"m": {"error_500_rate": 5}}}"#).expect("write");
        let error = load_config(&args).expect_err("invalid rate");
        assert!(error.to_string().contains("error_500_rate"), "{error}");
        let _ = std::fs::remove_dir_all(&directory);
    }
}
