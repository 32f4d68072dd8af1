//! The Postgres roles benchhub runs under, and the checks that keep a service from running under any
//! other.
//!
//! | role | login | what it may do |
//! |---|---|---|
//! | owner (e.g. `benchhub_owner`) | yes | owns the database and every table; runs the migrations |
//! | service (e.g. `benchhub_service`) | yes | NOINHERIT: nothing by itself; may switch to the three below |
//! | `benchhub_app` | no | every connection's role: all tables but `api_tokens`, under row-level security |
//! | `benchhub_worker` | no | the runner's claim loop: SELECT and UPDATE on `benchmark_runs` of any tenant |
//! | `benchhub_tokens` | no | token administration: `api_tokens` and `tenants` |
//!
//! [`setup`] creates all of them on a server (as a superuser), [`check_service_login`] refuses a
//! service login that could bypass them.

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Executor, PgConnection, Postgres, Transaction};

use crate::{APP_ROLE, MIGRATOR};

/// Role the runner's claim loop switches to for the length of one transaction.
pub const WORKER_ROLE: &str = "benchhub_worker";

/// Role that token administration switches to; the only one that can read `api_tokens`.
pub const TOKENS_ROLE: &str = "benchhub_tokens";

/// The NOLOGIN roles a service login must be a member of (without inheriting them).
pub const GROUP_ROLES: [&str; 3] = [APP_ROLE, WORKER_ROLE, TOKENS_ROLE];

/// Opens a transaction as [`TOKENS_ROLE`], for reading and writing `api_tokens`.
pub async fn begin_tokens(
    pool: &sqlx::PgPool,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    // TOKENS_ROLE, spelled out: the compile-time checked macros take a literal.
    sqlx::query!("SET LOCAL ROLE benchhub_tokens")
        .execute(&mut *transaction)
        .await?;
    Ok(transaction)
}

/// What [`check_service_login`] found.
#[derive(Debug)]
pub enum LoginCheck {
    /// The login is safe to serve with and the schema is as new as this binary.
    Ready,
    /// The server could not be reached (or refused the login): retry later.
    Unreachable(sqlx::Error),
    /// The roles or the schema are not there yet (migrations have not run): retry later.
    NotMigrated(String),
    /// The login could bypass row-level security or lacks a membership: refuse to serve. Each
    /// entry says what is wrong and how to fix it.
    Refused(Vec<String>),
}

/// Checks the login role of `options` the way a service must before it serves: not a superuser, no
/// BYPASSRLS, owns no table, inherits no benchhub role (NOINHERIT), and is a member of each of
/// [`GROUP_ROLES`]; then that every migration this binary embeds has been applied.
pub async fn check_service_login(options: &PgConnectOptions) -> LoginCheck {
    let mut connection = match PgConnection::connect_with(options).await {
        Ok(connection) => connection,
        Err(error) => return LoginCheck::Unreachable(error),
    };
    let outcome = check_on(&mut connection).await;
    connection.close().await.ok();
    match outcome {
        Ok(check) => check,
        Err(error) => LoginCheck::Unreachable(error),
    }
}

async fn check_on(connection: &mut PgConnection) -> Result<LoginCheck, sqlx::Error> {
    let session = sqlx::query!(
        r#"SELECT rolname::text AS "login!", rolsuper AS "superuser!", rolbypassrls AS "bypass_rls!"
             FROM pg_catalog.pg_roles WHERE rolname = session_user"#
    )
    .fetch_one(&mut *connection)
    .await?;
    let (login, superuser, bypass_rls) = (session.login, session.superuser, session.bypass_rls);
    let mut problems = Vec::new();
    if superuser {
        problems.push(format!(
            "the login role {login} is a superuser, which bypasses row-level security; connect as a \
             service role instead (`benchctl db setup` creates one)"
        ));
    }
    if bypass_rls {
        problems.push(format!(
            "the login role {login} has BYPASSRLS; run `ALTER ROLE \"{login}\" NOBYPASSRLS`"
        ));
    }
    let owned: Vec<String> = sqlx::query_scalar!(
        r#"SELECT c.relname::text AS "relname!" FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_roles r ON r.oid = c.relowner
         WHERE r.rolname = session_user AND c.relnamespace = 'public'::regnamespace
           AND c.relkind IN ('r', 'p', 'v', 'm')
         ORDER BY 1 LIMIT 3"#
    )
    .fetch_all(&mut *connection)
    .await?;
    if !owned.is_empty() {
        problems.push(format!(
            "the login role {login} owns tables ({}…), and owners can switch row-level security off; \
             connect as a service role, not as the migration owner",
            owned.join(", ")
        ));
    }
    let mut missing_roles = Vec::new();
    for role in GROUP_ROLES {
        let exists: bool =
            sqlx::query_scalar!(r#"SELECT to_regrole($1) IS NOT NULL AS "exists!""#, role)
                .fetch_one(&mut *connection)
                .await?;
        if !exists {
            missing_roles.push(role);
            continue;
        }
        if superuser {
            continue;
        }
        let membership = sqlx::query!(
            r#"SELECT pg_has_role(session_user, $1, 'MEMBER') AS "member!",
                      pg_has_role(session_user, $1, 'USAGE') AS "inherits!""#,
            role
        )
        .fetch_one(&mut *connection)
        .await?;
        let (member, inherits) = (membership.member, membership.inherits);
        if !member {
            problems.push(format!(
                "the login role {login} is not a member of {role}; run `GRANT {role} TO \"{login}\"`"
            ));
        } else if inherits {
            problems.push(format!(
                "the login role {login} inherits the privileges of {role}, so they hold outside any \
                 transaction that chose them; run `ALTER ROLE \"{login}\" NOINHERIT`"
            ));
        }
    }
    if !problems.is_empty() {
        return Ok(LoginCheck::Refused(problems));
    }
    if !missing_roles.is_empty() {
        return Ok(LoginCheck::NotMigrated(format!(
            "the roles {} do not exist yet; run `benchctl db migrate` or set \
             BENCHHUB_MIGRATE_DATABASE_URL",
            missing_roles.join(", ")
        )));
    }
    // The versions table is readable by benchhub_app (migration 14) and by nothing else of ours.
    connection
        .execute(format!("SET ROLE {APP_ROLE}").as_str())
        .await?;
    let applied: Result<Vec<i64>, sqlx::Error> =
        sqlx::query_scalar!("SELECT version FROM public._sqlx_migrations")
            .fetch_all(&mut *connection)
            .await;
    let applied = match applied {
        Ok(applied) => applied,
        Err(error) if crate::classify(&error) == crate::DbErrorKind::Unavailable => {
            return Err(error);
        }
        Err(_) => Vec::new(),
    };
    let pending: Vec<i64> = MIGRATOR
        .iter()
        .filter(|migration| migration.migration_type.is_up_migration())
        .map(|migration| migration.version)
        .filter(|version| !applied.contains(version))
        .collect();
    if !pending.is_empty() {
        return Ok(LoginCheck::NotMigrated(format!(
            "{} migration(s) of this binary are not applied yet (first: {}); run `benchctl db migrate` \
             or set BENCHHUB_MIGRATE_DATABASE_URL",
            pending.len(),
            pending[0]
        )));
    }
    Ok(LoginCheck::Ready)
}

/// Errors of [`setup`].
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A URL could not be parsed or lacks a user or database; the message never holds the URL.
    #[error("{0}")]
    Url(String),
    /// The roles would not fail closed (e.g. the service and the owner are the same role).
    #[error("{0}")]
    Unsafe(String),
    /// A statement failed.
    #[error("{step}: {source}")]
    Database {
        /// What was being done.
        step: String,
        /// The error.
        #[source]
        source: sqlx::Error,
    },
    /// The migrations failed.
    #[error("migrating as the owner: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// What [`setup`] did, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupReport {
    /// The database.
    pub database: String,
    /// The owner role.
    pub owner: String,
    /// The service role.
    pub service: String,
    /// Whether the database was created now.
    pub created_database: bool,
    /// The service login's check after set-up (empty when it fails closed as it should).
    pub problems: Vec<String>,
}

struct Login {
    user: String,
    password: Option<String>,
    database: String,
}

fn login_of(url: &str, which: &str) -> Result<(PgConnectOptions, Login), SetupError> {
    let options: PgConnectOptions = url
        .parse()
        .map_err(|_| SetupError::Url(format!("the {which} URL is not a valid postgres URL")))?;
    let user = options.get_username().to_owned();
    if user.is_empty() {
        return Err(SetupError::Url(format!("the {which} URL names no user")));
    }
    let database = options
        .get_database()
        .map(str::to_owned)
        .ok_or_else(|| SetupError::Url(format!("the {which} URL names no database")))?;
    // PgConnectOptions keeps the password private; read it from the URL itself.
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, password)| percent_decode(password))
        .filter(|password| !password.is_empty());
    Ok((
        options,
        Login {
            user,
            password,
            database,
        },
    ))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("");
            if let Ok(byte) = u8::from_str_radix(hex, 16) {
                out.push(byte);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Wraps a database error with the step that failed.
fn failed(step: &str) -> impl FnOnce(sqlx::Error) -> SetupError + '_ {
    move |source| SetupError::Database {
        step: step.to_owned(),
        source,
    }
}

async fn run(connection: &mut PgConnection, step: &str, sql: &str) -> Result<(), SetupError> {
    connection
        .execute(sql)
        .await
        .map(|_| ())
        .map_err(failed(step))
}

/// Builds a statement on the server with `format()`, so names are quoted with `%I` and passwords with
/// `%L` by Postgres itself, then runs it.
async fn run_formatted(
    connection: &mut PgConnection,
    step: &str,
    template: &str,
    arguments: &[&str],
) -> Result<(), SetupError> {
    let placeholders: Vec<String> = (1..=arguments.len())
        .map(|n| format!("${n}::text"))
        .collect();
    let query = format!("SELECT format('{template}', {})", placeholders.join(", "));
    let mut builder = sqlx::query_scalar::<_, String>(&query);
    for argument in arguments {
        builder = builder.bind(*argument);
    }
    let statement = builder
        .fetch_one(&mut *connection)
        .await
        .map_err(failed(step))?;
    run(connection, step, &statement).await
}

/// Creates (or brings into line) everything benchhub needs on a server, as the superuser of
/// `admin_url`: the three NOLOGIN roles, the owner login of `owner_url` (a member of them, so the
/// migrations can grant), the service login of `service_url` (NOINHERIT, member of the three, no
/// other rights), the database both URLs name (owned by the owner), and the migrations, run as the
/// owner. Passwords in the URLs are set on the roles. Safe to run again.
pub async fn setup(
    admin_url: &str,
    owner_url: &str,
    service_url: &str,
) -> Result<SetupReport, SetupError> {
    let (admin_options, _) = login_of(admin_url, "admin")?;
    let (owner_options, owner) = login_of(owner_url, "owner")?;
    let (service_options, service) = login_of(service_url, "service")?;
    if owner.database != service.database {
        return Err(SetupError::Url(format!(
            "the owner URL names database {} but the service URL names {}",
            owner.database, service.database
        )));
    }
    if owner.user == service.user {
        return Err(SetupError::Unsafe(format!(
            "the owner and the service are the same role ({}); the service must not own the tables",
            owner.user
        )));
    }
    let mut admin = PgConnection::connect_with(&admin_options)
        .await
        .map_err(failed("connecting with the admin URL"))?;
    let superuser: bool = sqlx::query_scalar!(
        r#"SELECT rolsuper AS "superuser!" FROM pg_catalog.pg_roles WHERE rolname = session_user"#
    )
    .fetch_one(&mut admin)
    .await
    .map_err(failed("reading the admin role"))?;
    if !superuser {
        return Err(SetupError::Unsafe(
            "the admin URL must log in as a superuser (it creates roles and the database)"
                .to_owned(),
        ));
    }
    for role in GROUP_ROLES {
        ensure_role(&mut admin, role, "NOLOGIN", None).await?;
    }
    ensure_role(
        &mut admin,
        &owner.user,
        "LOGIN NOSUPERUSER NOBYPASSRLS INHERIT",
        owner.password.as_deref(),
    )
    .await?;
    for role in GROUP_ROLES {
        grant_membership(&mut admin, role, &owner.user).await?;
    }
    ensure_service_role(&mut admin, &service.user, service.password.as_deref()).await?;
    let exists: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1) AS "exists!""#,
        &owner.database
    )
    .fetch_one(&mut admin)
    .await
    .map_err(failed("looking for the database"))?;
    if !exists {
        run_formatted(
            &mut admin,
            "creating the database",
            "CREATE DATABASE %I OWNER %I",
            &[&owner.database, &owner.user],
        )
        .await?;
    } else {
        run_formatted(
            &mut admin,
            "giving the database to the owner",
            "ALTER DATABASE %I OWNER TO %I",
            &[&owner.database, &owner.user],
        )
        .await?;
    }
    run_formatted(
        &mut admin,
        "letting the service connect",
        "GRANT CONNECT ON DATABASE %I TO %I",
        &[&owner.database, &service.user],
    )
    .await?;
    admin.close().await.ok();

    let mut owner_connection = PgConnection::connect_with(&owner_options)
        .await
        .map_err(failed("connecting with the owner URL"))?;
    MIGRATOR.run_direct(&mut owner_connection).await?;
    owner_connection.close().await.ok();

    let problems = match check_service_login(&service_options).await {
        LoginCheck::Ready => Vec::new(),
        LoginCheck::Refused(problems) => problems,
        LoginCheck::NotMigrated(reason) => vec![reason],
        LoginCheck::Unreachable(error) => vec![format!(
            "the service URL cannot log in: {}",
            crate::describe(&error)
        )],
    };
    Ok(SetupReport {
        database: owner.database,
        owner: owner.user,
        service: service.user,
        created_database: !exists,
        problems,
    })
}

/// Creates (or brings into line) the service login `name` on the server of the superuser connection
/// `admin`: LOGIN, NOINHERIT, no other right, a member of each of [`GROUP_ROLES`] (created when
/// missing). Sets its password when one is given.
pub async fn ensure_service_role(
    admin: &mut PgConnection,
    name: &str,
    password: Option<&str>,
) -> Result<(), SetupError> {
    for role in GROUP_ROLES {
        ensure_role(admin, role, "NOLOGIN", None).await?;
    }
    ensure_role(
        admin,
        name,
        "LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE",
        password,
    )
    .await?;
    for role in GROUP_ROLES {
        grant_membership(admin, role, name).await?;
    }
    Ok(())
}

async fn ensure_role(
    admin: &mut PgConnection,
    role: &str,
    attributes: &str,
    password: Option<&str>,
) -> Result<(), SetupError> {
    let step = format!("creating role {role}");
    let exists: bool =
        sqlx::query_scalar!(r#"SELECT to_regrole($1) IS NOT NULL AS "exists!""#, role)
            .fetch_one(&mut *admin)
            .await
            .map_err(failed(&step))?;
    if !exists {
        match run_formatted(
            admin,
            &step,
            &format!("CREATE ROLE %I {attributes}"),
            &[role],
        )
        .await
        {
            Ok(()) => {}
            // Another set-up (or a migration) created it at the same moment.
            Err(SetupError::Database { source, .. }) if is_duplicate(&source) => {}
            Err(error) => return Err(error),
        }
    }
    if exists && attributes.starts_with("LOGIN") {
        // A login role made earlier by hand is brought into line (NOINHERIT above all).
        run_formatted(
            admin,
            &step,
            &format!("ALTER ROLE %I {attributes}"),
            &[role],
        )
        .await?;
    }
    if let Some(password) = password {
        run_formatted(
            admin,
            &format!("setting the password of {role}"),
            "ALTER ROLE %I PASSWORD %L",
            &[role, password],
        )
        .await?;
    }
    Ok(())
}

async fn grant_membership(
    admin: &mut PgConnection,
    role: &str,
    member: &str,
) -> Result<(), SetupError> {
    let step = format!("granting {role} to {member}");
    let member_already: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
         WHERE m.roleid = to_regrole($1) AND m.member = to_regrole($2)) AS "exists!""#,
        role,
        member
    )
    .fetch_one(&mut *admin)
    .await
    .map_err(failed(&step))?;
    if member_already {
        return Ok(());
    }
    match run_formatted(admin, &step, "GRANT %I TO %I", &[role, member]).await {
        Ok(()) => Ok(()),
        Err(SetupError::Database { source, .. }) if is_duplicate(&source) => Ok(()),
        Err(error) => Err(error),
    }
}

fn is_duplicate(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::Database(database) if matches!(database.code().as_deref(), Some("42710" | "23505"))
    )
}

/// Applies every pending migration as the login of `owner_url` (the tables' owner).
pub async fn migrate(owner_url: &str) -> Result<(), SetupError> {
    let (options, _) = login_of(owner_url, "migration")?;
    let mut connection = PgConnection::connect_with(&options)
        .await
        .map_err(failed("connecting with the migration URL"))?;
    MIGRATOR.run_direct(&mut connection).await?;
    connection.close().await.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_password_and_database_from_a_url() {
        let (_, login) =
            login_of("postgres://svc:p%40ss@localhost:5432/bench", "service").expect("parses");
        assert_eq!(login.user, "svc");
        assert_eq!(login.password.as_deref(), Some("p@ss"));
        assert_eq!(login.database, "bench");
        let (_, login) = login_of("postgres://svc@localhost/bench", "service").expect("parses");
        assert_eq!(login.password, None);
    }

    #[test]
    fn url_errors_never_echo_the_url() {
        let Err(error) = login_of("postgres://svc:secret@localhost:99999999/db", "owner") else {
            panic!("a bad port must not parse");
        };
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}
