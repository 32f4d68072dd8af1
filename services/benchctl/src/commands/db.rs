//! `benchctl db setup | migrate | check`: the Postgres roles and schema, run by an operator (or by
//! scripts/demo and docker-compose) before the services start.

use anyhow::Context as _;
use benchhub_db::LoginCheck;
use benchhub_db::roles::SetupError;

/// `benchctl db …`.
#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Create the roles and the database, then migrate: run once per server as a superuser.
    Setup {
        /// A superuser's URL (any database, e.g. /postgres); used only to create roles and the database.
        #[arg(long, env = "BENCHHUB_ADMIN_DATABASE_URL", hide_env_values = true)]
        admin_url: String,
        /// The owner's URL: its user becomes the tables' owner, its database is created if missing.
        #[arg(long, env = "BENCHHUB_MIGRATE_DATABASE_URL", hide_env_values = true)]
        owner_url: String,
        /// The services' URL: its user becomes the service login (NOINHERIT, no rights of its own).
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        service_url: String,
    },
    /// Apply pending migrations as the tables' owner.
    Migrate {
        /// The owner's URL.
        #[arg(long, env = "BENCHHUB_MIGRATE_DATABASE_URL", hide_env_values = true)]
        owner_url: String,
    },
    /// Check that a service login fails closed and that the schema is current (exit 1 otherwise).
    Check {
        /// The services' URL.
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        service_url: String,
    },
}

/// Runs the command.
pub async fn run(command: DbCommand) -> anyhow::Result<()> {
    match command {
        DbCommand::Setup {
            admin_url,
            owner_url,
            service_url,
        } => {
            let report = benchhub_db::roles::setup(&admin_url, &owner_url, &service_url)
                .await
                .map_err(explain)?;
            println!(
                "database {} ({}), owned by {}; migrations applied as {}",
                report.database,
                if report.created_database {
                    "created"
                } else {
                    "already there"
                },
                report.owner,
                report.owner
            );
            println!(
                "service login {}: NOINHERIT, member of {}",
                report.service,
                benchhub_db::roles::GROUP_ROLES.join(", ")
            );
            if !report.problems.is_empty() {
                anyhow::bail!(
                    "the service login would not fail closed: {}",
                    report.problems.join("; ")
                );
            }
            println!("check: the service login sees no tenant rows and no token hashes by itself");
            Ok(())
        }
        DbCommand::Migrate { owner_url } => {
            benchhub_db::roles::migrate(&owner_url)
                .await
                .map_err(explain)?;
            println!(
                "migrations applied ({} known to this binary)",
                benchhub_db::MIGRATOR.iter().count()
            );
            Ok(())
        }
        DbCommand::Check { service_url } => {
            let options =
                benchhub_db::connect_options(&service_url).context("reading DATABASE_URL")?;
            match benchhub_db::check_service_login(&options).await {
                LoginCheck::Ready => {
                    println!("ok: the login fails closed and the schema is current");
                    Ok(())
                }
                LoginCheck::NotMigrated(reason) => anyhow::bail!("{reason}"),
                LoginCheck::Refused(problems) => anyhow::bail!("{}", problems.join("; ")),
                LoginCheck::Unreachable(error) => {
                    anyhow::bail!("cannot log in: {}", benchhub_db::describe(&error))
                }
            }
        }
    }
}

fn explain(error: SetupError) -> anyhow::Error {
    anyhow::anyhow!("{error}")
}
