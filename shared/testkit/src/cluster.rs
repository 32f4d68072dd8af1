//! A private, throwaway Postgres cluster that a test can stop and start again, for fault-tolerance
//! tests that need a real server outage (not just a dropped database).
//!
//! It follows the rules of `scripts/lib/pg.sh`: `initdb`/`pg_ctl` are found on `PATH`, then under
//! `/usr/lib/postgresql/*/bin` (newest major version first), or in `BENCHHUB_PG_BINDIR`; trust auth;
//! listening only on 127.0.0.1 on a free port below 32768 (outside the kernel's ephemeral range, so
//! ports bound with port 0 never collide with it), sockets in its own directory. Postgres refuses to
//! run as root, so as root the cluster runs as a non-root user (`BENCHHUB_PG_USER`, else `postgres`,
//! else `benchhub-pg`, created on demand) through `runuser` (or `su`). The directory is removed, and
//! the server stopped, when the value is dropped; clusters left behind by test processes that no
//! longer exist are removed by the next [`PgCluster::create`].
//!
//! The methods block (they wait for `initdb` and `pg_ctl`); from a multi-threaded tokio test call
//! them inside `tokio::task::block_in_place`.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context as _, bail};
use sqlx::{Connection, Executor, PgConnection};

/// Prefix of every cluster directory in the temp directory: `benchhub-pgcluster-<pid>-<random>`.
const DIR_PREFIX: &str = "benchhub-pgcluster-";

/// Ports tried for the cluster: below 32768, so never in the ephemeral range (32768–60999).
const PORT_RANGE: std::ops::Range<u16> = 15432..32000;

/// A Postgres server in a temporary directory, owned by the test that created it.
#[derive(Debug)]
pub struct PgCluster {
    bindir: PathBuf,
    dir: PathBuf,
    port: u16,
    run_as: Option<String>,
    running: bool,
}

impl PgCluster {
    /// Creates and starts a cluster, or returns `None` with a printed "skipping: …" notice when no
    /// Postgres installation (`initdb`, `pg_ctl`, `postgres`) is found, so the calling test can pass.
    pub fn create() -> anyhow::Result<Option<Self>> {
        let Some(bindir) = find_bindir() else {
            eprintln!(
                "skipping: initdb/pg_ctl not found (PATH, /usr/lib/postgresql/*/bin or BENCHHUB_PG_BINDIR); \
                 install postgresql to run this test"
            );
            return Ok(None);
        };
        remove_orphans();
        let run_as = if running_as_root() {
            Some(pick_user()?)
        } else {
            None
        };
        let dir = std::env::temp_dir().join(format!(
            "{DIR_PREFIX}{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ));
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut cluster = Self {
            bindir,
            dir,
            port: 0,
            run_as,
            running: false,
        };
        // From here on, Drop removes the directory whatever fails.
        cluster.init()?;
        cluster.start_on_a_free_port()?;
        Ok(Some(cluster))
    }

    /// The port the server listens on (the same after [`PgCluster::start`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `database` as the superuser `postgres` (trust auth, no password).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates `database`, applies every migration as the superuser (the tables' owner) and makes the
    /// service role, the way [`crate::TestDb`] builds its template; returns the URL a service connects
    /// with ([`crate::SERVICE_ROLE`]). [`PgCluster::url`] gives the superuser's.
    pub async fn create_database(&self, database: &str) -> anyhow::Result<String> {
        let mut admin = PgConnection::connect(&self.url("postgres"))
            .await
            .context("connecting to the private cluster")?;
        admin
            .execute(format!("CREATE DATABASE \"{database}\"").as_str())
            .await
            .context("creating the database")?;
        let url = self.url(database);
        let mut connection = PgConnection::connect(&url).await?;
        benchhub_db::MIGRATOR
            .run(&mut connection)
            .await
            .context("migrating the database")?;
        connection.close().await.ok();
        benchhub_db::roles::ensure_service_role(
            &mut admin,
            crate::SERVICE_ROLE,
            Some(crate::SERVICE_PASSWORD),
        )
        .await
        .context("creating the service role")?;
        admin.close().await.ok();
        Ok(crate::url_with_login(
            &url,
            crate::SERVICE_ROLE,
            crate::SERVICE_PASSWORD,
        ))
    }

    /// Stops the server (`pg_ctl stop -m fast`: open connections are terminated) and waits for it.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if !self.running {
            return Ok(());
        }
        let output = self.pg_ctl(&["-m", "fast", "-w", "-t", "30", "stop"])?;
        if !output.status.success() {
            bail!("pg_ctl stop failed: {}", describe_output(&output));
        }
        self.running = false;
        Ok(())
    }

    /// Starts the server again on the same port and data directory and waits until it accepts
    /// connections.
    pub fn start(&mut self) -> anyhow::Result<()> {
        if self.running {
            return Ok(());
        }
        let port = self.port.to_string();
        let output = self.pg_ctl(&["-o", &format!("-p {port}"), "-w", "-t", "60", "start"])?;
        if !output.status.success() {
            bail!(
                "pg_ctl start failed: {}\n{}",
                describe_output(&output),
                self.log_tail()
            );
        }
        self.running = true;
        Ok(())
    }

    /// Whether the server is running (as far as this value knows).
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// The last lines of the server log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    fn init(&mut self) -> anyhow::Result<()> {
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))?;
        if let Some(user) = &self.run_as {
            let uid = user_id(user).with_context(|| format!("no uid for user {user}"))?;
            std::os::unix::fs::chown(&self.dir, Some(uid), None)
                .with_context(|| format!("chown {} to {user}", self.dir.display()))?;
        }
        let data = self.data_dir();
        let initdb = self.bindir.join("initdb");
        let output = self.run(
            &initdb,
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        if !output.status.success() {
            bail!("initdb failed: {}", describe_output(&output));
        }
        // Throwaway cluster: durability off for speed. Appended as the cluster's user, who owns the
        // file (as root, writing directly would work too, but keep the ownership untouched).
        let settings = format!(
            "\n# benchhub private test cluster\nlisten_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{}'\nmax_connections = 100\nfsync = off\n\
             synchronous_commit = off\nfull_page_writes = off\n",
            self.dir.display()
        );
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).context("reading postgresql.conf")?;
        text.push_str(&settings);
        std::fs::write(&conf, text).context("writing postgresql.conf")?;
        Ok(())
    }

    fn start_on_a_free_port(&mut self) -> anyhow::Result<()> {
        let mut last_error = None;
        for _ in 0..5 {
            self.port = free_low_port().context("no free port in 15432..31999")?;
            match self.start() {
                Ok(()) => return Ok(()),
                Err(error) => {
                    let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
                    let port_taken = log.contains("already in use")
                        || log.contains("could not create any TCP/IP sockets");
                    if !port_taken {
                        return Err(error);
                    }
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("pg_ctl start failed")))
    }

    fn pg_ctl(&self, arguments: &[&str]) -> anyhow::Result<Output> {
        let data = self.data_dir();
        let log = self.log_path();
        let mut all: Vec<&std::ffi::OsStr> = vec![
            "-D".as_ref(),
            data.as_os_str(),
            "-l".as_ref(),
            log.as_os_str(),
        ];
        all.extend(
            arguments
                .iter()
                .map(|argument| std::ffi::OsStr::new(*argument)),
        );
        self.run(&self.bindir.join("pg_ctl"), &all)
    }

    /// Runs `program` as the cluster's user, from the cluster's directory (which that user can enter).
    fn run(&self, program: &Path, arguments: &[&std::ffi::OsStr]) -> anyhow::Result<Output> {
        let mut command = match &self.run_as {
            None => Command::new(program),
            Some(user) if Path::new("/usr/sbin/runuser").exists() || on_path("runuser") => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            Some(user) => {
                let mut line = shell_quote(&program.to_string_lossy());
                for argument in arguments {
                    line.push(' ');
                    line.push_str(&shell_quote(&argument.to_string_lossy()));
                }
                let mut command = Command::new("su");
                command.args([user.as_str(), "-s", "/bin/sh", "-c", &line]);
                return command
                    .current_dir(&self.dir)
                    .stdin(Stdio::null())
                    .output()
                    .with_context(|| format!("running {} as {user}", program.display()));
            }
        };
        command
            .args(arguments)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", program.display()))
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.running && self.stop().is_err() {
            kill_postmaster(&self.data_dir());
        }
        // A server that died on its own still leaves a pid file with a dead pid: harmless.
        kill_postmaster(&self.data_dir());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Returns the directory holding `initdb`, `pg_ctl` and `postgres`, the way `scripts/lib/pg.sh`
/// looks for it: `BENCHHUB_PG_BINDIR`, `initdb` on `PATH`, then `/usr/lib/postgresql/<major>/bin`
/// with the highest major version first.
pub fn find_bindir() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("BENCHHUB_PG_BINDIR").filter(|dir| !dir.is_empty()) {
        candidates.push(PathBuf::from(dir));
    }
    if let Some(initdb) = which("initdb") {
        let resolved = std::fs::canonicalize(&initdb).unwrap_or(initdb);
        if let Some(parent) = resolved.parent() {
            candidates.push(parent.to_path_buf());
        }
    }
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let version: Vec<u32> = name
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<_>>()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|left, right| right.0.cmp(&left.0));
    candidates.extend(versions.into_iter().map(|(_, dir)| dir));
    candidates.into_iter().find(|dir| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|name| is_executable(&dir.join(name)))
    })
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn on_path(name: &str) -> bool {
    which(name).is_some()
}

fn running_as_root() -> bool {
    // The owner of /proc/self is the process's effective uid.
    std::fs::metadata("/proc/self").is_ok_and(|metadata| metadata.uid() == 0)
}

fn user_id(user: &str) -> Option<u32> {
    let output = Command::new("id").args(["-u", user]).output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// The non-root user that runs the cluster when the test runs as root (`_benchhub_pg_pick_user`).
fn pick_user() -> anyhow::Result<String> {
    if let Ok(user) = std::env::var("BENCHHUB_PG_USER")
        && !user.is_empty()
    {
        match user_id(&user) {
            None => bail!("BENCHHUB_PG_USER={user}: no such user"),
            Some(0) => bail!("BENCHHUB_PG_USER={user}: must not be root (Postgres refuses root)"),
            Some(_) => return Ok(user),
        }
    }
    if user_id("postgres").is_some_and(|uid| uid != 0) {
        return Ok("postgres".to_owned());
    }
    if user_id("benchhub-pg").is_none() {
        let status = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "benchhub-pg",
            ])
            .status()
            .context("running useradd")?;
        // Another test process may have created it at the same moment.
        if !status.success() && user_id("benchhub-pg").is_none() {
            bail!("could not create the system user benchhub-pg; set BENCHHUB_PG_USER");
        }
    }
    Ok("benchhub-pg".to_owned())
}

/// A port in 15432..31999 that could be bound on 127.0.0.1 a moment ago, starting from a random one.
fn free_low_port() -> Option<u16> {
    let span = PORT_RANGE.end - PORT_RANGE.start;
    let random = uuid::Uuid::new_v4().as_u128();
    let start = (random % u128::from(span)) as u16;
    (0..span)
        .map(|offset| PORT_RANGE.start + (start + offset) % span)
        .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn describe_output(output: &Output) -> String {
    format!(
        "{}: {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout).trim(),
        String::from_utf8_lossy(&output.stderr).trim()
    )
}

/// Sends SIGKILL to the postmaster named in `data/postmaster.pid`, if it still runs.
fn kill_postmaster(data: &Path) {
    let Ok(text) = std::fs::read_to_string(data.join("postmaster.pid")) else {
        return;
    };
    let Some(pid) = text
        .lines()
        .next()
        .and_then(|line| line.trim().parse::<u32>().ok())
    else {
        return;
    };
    if Path::new(&format!("/proc/{pid}")).exists() {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Stops and removes clusters whose creating test process no longer exists (killed test runs).
fn remove_orphans() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(DIR_PREFIX) else {
            continue;
        };
        let Some(pid) = rest
            .split('-')
            .next()
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        kill_postmaster(&entry.path().join("data"));
        let _ = std::fs::remove_dir_all(entry.path());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_stay_below_the_ephemeral_range() {
        for _ in 0..20 {
            let port = free_low_port().expect("a free port");
            assert!(PORT_RANGE.contains(&port), "{port}");
        }
    }

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn a_cluster_stops_and_starts_again_on_its_port() -> anyhow::Result<()> {
        let Some(mut cluster) = PgCluster::create()? else {
            return Ok(());
        };
        let port = cluster.port();
        assert!(PORT_RANGE.contains(&port));
        let dir = cluster.dir.clone();
        cluster.stop()?;
        assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
        cluster.start()?;
        assert_eq!(cluster.port(), port);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        drop(cluster);
        assert!(!dir.exists(), "{} was not removed", dir.display());
        Ok(())
    }
}
