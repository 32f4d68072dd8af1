//! Roles that fail closed (issue 17, item 1): the services' login sees no tenant's rows and no token
//! hash unless a transaction chooses a role and a tenant; `RESET ROLE` gives it nothing; a login that
//! could bypass row-level security is refused at start-up; the owner's URL migrates an empty database.

use std::time::{Duration, Instant};

use benchhub_common::auth::{self, Role};
use benchhub_proto::pb;
use benchhub_testkit::{TestDb, TestServer, url_with_database, url_with_login};
use sqlx::{Connection, Executor, PgConnection};

const SECRET_NAME: &str = "alice-secret-suite";

fn sqlstate(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(database) => database.code().map(std::borrow::Cow::into_owned),
        _ => None,
    }
}

/// Alice's suite, written by the owner (a superuser in tests).
async fn seed_alice(db: &TestDb) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO tenants (id, name) VALUES ('alice', 'alice') ON CONFLICT DO NOTHING")
        .execute(&db.pool)
        .await?;
    sqlx::query("INSERT INTO suites (tenant_id, name) VALUES ('alice', $1)")
        .bind(SECRET_NAME)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[tokio::test]
async fn the_service_login_sees_no_tenant_rows_and_no_token_hashes_outside_its_transactions()
-> anyhow::Result<()> {
    let db = TestDb::new().await?;
    seed_alice(&db).await?;
    let pool = benchhub_db::lazy_pool(&db.url, &benchhub_db::PoolSettings::default())?;

    // A token made the way CreateToken makes one (as benchhub_tokens, in its own transaction).
    let (token, _) = auth::create_token(&pool, "ci", Role::Reader, "alice").await?;

    // A raw query on the pool: benchhub_app, no tenant, so no rows.
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&pool)
        .await?;
    assert_eq!(role, "benchhub_app");
    let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM suites")
        .fetch_one(&pool)
        .await?;
    assert_eq!(
        visible, 0,
        "a query outside begin_tenant saw a tenant's suites"
    );
    let hashes = sqlx::query("SELECT token_sha256 FROM api_tokens")
        .fetch_all(&pool)
        .await
        .expect_err("benchhub_app read the token hashes");
    assert_eq!(sqlstate(&hashes).as_deref(), Some("42501"), "{hashes}");

    // The tenant's own transaction sees its row.
    let mut transaction = benchhub_db::begin_tenant(&pool, "alice").await?;
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM suites")
        .fetch_all(&mut *transaction)
        .await?;
    transaction.rollback().await?;
    assert_eq!(names, vec![SECRET_NAME.to_owned()]);

    // RESET ROLE falls back to the login role, which has no rights at all.
    let mut connection = pool.acquire().await?;
    connection.execute("RESET ROLE").await?;
    let login: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut *connection)
        .await?;
    assert_eq!(login, benchhub_testkit::SERVICE_ROLE);
    for query in [
        "SELECT count(*) FROM suites",
        "SELECT count(*) FROM benchmark_runs",
        "SELECT token_sha256 FROM api_tokens",
        "SELECT count(*) FROM models",
    ] {
        let error = sqlx::query(query)
            .fetch_all(&mut *connection)
            .await
            .expect_err(query);
        assert_eq!(
            sqlstate(&error).as_deref(),
            Some("42501"),
            "{query}: {error}"
        );
    }
    // Setting a tenant by hand does not help either.
    connection
        .execute("SELECT set_config('benchhub.tenant_id', 'alice', false)")
        .await?;
    let error = sqlx::query("SELECT name FROM suites")
        .fetch_all(&mut *connection)
        .await
        .expect_err("the login role read suites");
    assert_eq!(sqlstate(&error).as_deref(), Some("42501"));
    connection.detach();

    // Authentication works without reading the table: the function answers for the hash only.
    let authenticator = auth::Authenticator::new(pool.clone(), None, "default");
    let principal = authenticator
        .authenticate(Some(&format!("Bearer {token}")))
        .await?;
    assert_eq!(principal.tenant_id, "alice");
    assert!(
        authenticator
            .authenticate(Some("Bearer bh_not-a-token"))
            .await
            .is_err()
    );
    pool.close().await;
    Ok(())
}

/// Starts rankings on `config` and waits until it stops by itself; returns its error text.
async fn refusal(config: benchhub_rankings::Config) -> anyhow::Result<String> {
    let server =
        TestServer::start(|listener, shutdown| benchhub_rankings::run(config, listener, shutdown))
            .await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.is_finished() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the service kept running on a login that bypasses row-level security"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    match server.stop().await {
        Ok(()) => anyhow::bail!("the service stopped without an error"),
        Err(error) => Ok(format!("{error:#}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_refuses_a_login_that_could_bypass_row_level_security() -> anyhow::Result<()> {
    let db = TestDb::new().await?;

    // The superuser (the tables' owner in tests).
    let message = refusal(benchhub_rankings::Config::for_tests(&db.owner_url)).await?;
    assert!(message.contains("superuser"), "{message}");
    assert!(message.contains("benchctl db setup"), "{message}");

    // A login that inherits benchhub_app's and benchhub_worker's rights (INHERIT, the default).
    let role = format!("bhtest_inherit_{}", &uuid_suffix());
    sqlx::query(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'x' IN ROLE benchhub_app, benchhub_worker, benchhub_tokens"
    ))
    .execute(&db.pool)
    .await?;
    let url = url_with_login(&db.owner_url, &role, "x");
    let outcome = refusal(benchhub_rankings::Config::for_tests(&url)).await;
    sqlx::query(&format!("DROP ROLE {role}"))
        .execute(&db.pool)
        .await?;
    let message = outcome?;
    assert!(message.contains("NOINHERIT"), "{message}");
    assert!(
        !message.contains("PASSWORD") && !message.contains(":x@"),
        "{message}"
    );
    Ok(())
}

fn uuid_suffix() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_nanos())
            .unwrap_or(0)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_url_migrates_an_empty_database_and_the_service_login_then_serves()
-> anyhow::Result<()> {
    // Made by TestDb so that the service role exists; an empty database beside it.
    let db = TestDb::new().await?;
    let empty = format!("bhtest_{}_empty{}", std::process::id(), uuid_suffix());
    db.pool
        .execute(format!("CREATE DATABASE \"{empty}\"").as_str())
        .await?;
    let owner_url = url_with_database(&db.owner_url, &empty);
    let service_url = url_with_database(&db.url, &empty);
    let outcome = async {
        // Without the owner's URL the service waits for the migrations, NOT_SERVING.
        let waiting = TestServer::start({
            let config = benchhub_rankings::Config::for_tests(&service_url);
            |listener, shutdown| benchhub_rankings::run(config, listener, shutdown)
        })
        .await?;
        let not_yet = waiting.wait_serving(Duration::from_secs(2)).await;
        assert!(not_yet.is_err(), "served an unmigrated database");
        assert!(!waiting.is_finished(), "gave up instead of waiting");

        // With it, the service migrates and serves; the waiting one follows.
        let mut config = benchhub_rankings::Config::for_tests(&service_url);
        config.common.migrate_database_url = Some(owner_url.clone());
        let migrating = TestServer::start(|listener, shutdown| {
            benchhub_rankings::run(config, listener, shutdown)
        })
        .await?;
        migrating.wait_serving(Duration::from_secs(60)).await?;
        waiting.wait_serving(Duration::from_secs(60)).await?;
        let mut client =
            pb::rankings_service_client::RankingsServiceClient::new(migrating.channel().await?);
        let page = client
            .list_rankings(pb::ListRankingsRequest::default())
            .await?
            .into_inner();
        assert_eq!(page.total_size, 0);
        migrating.stop().await?;
        waiting.stop().await?;
        anyhow::Ok(())
    }
    .await;
    let mut admin = PgConnection::connect(&db.owner_url).await?;
    admin
        .execute(format!("DROP DATABASE IF EXISTS \"{empty}\" WITH (FORCE)").as_str())
        .await?;
    admin.close().await?;
    outcome
}

#[tokio::test]
async fn db_setup_creates_an_owner_and_a_service_login_that_fails_closed() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let suffix = uuid_suffix();
    let database = format!("bhtest_{}_setup{suffix}", std::process::id());
    let owner = format!("bhtest_owner_{suffix}");
    let service = format!("bhtest_service_{suffix}");
    let admin_url = url_with_database(&db.owner_url, "postgres");
    let owner_url = url_with_login(&url_with_database(&db.owner_url, &database), &owner, "o-pw");
    let service_url = url_with_login(
        &url_with_database(&db.owner_url, &database),
        &service,
        "s-pw",
    );
    let outcome = async {
        let report = benchhub_db::roles::setup(&admin_url, &owner_url, &service_url).await?;
        assert!(report.created_database);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        // Again: nothing to do, nothing breaks.
        let again = benchhub_db::roles::setup(&admin_url, &owner_url, &service_url).await?;
        assert!(!again.created_database);
        assert!(again.problems.is_empty(), "{:?}", again.problems);

        let mut owner_connection = PgConnection::connect(&owner_url).await?;
        let (tables, owned_by_owner): (i64, i64) = sqlx::query_as(
            "SELECT count(*), count(*) FILTER (WHERE tableowner = current_user) \
             FROM pg_tables WHERE schemaname = 'public'",
        )
        .fetch_one(&mut owner_connection)
        .await?;
        owner_connection.close().await?;
        let expected: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
                .fetch_one(&db.pool)
                .await?;
        assert_eq!(
            tables, expected,
            "the set-up database has every table of the template"
        );
        assert_eq!(owned_by_owner, tables, "every table belongs to the owner");

        let options = benchhub_db::connect_options(&service_url)?;
        assert!(matches!(
            benchhub_db::check_service_login(&options).await,
            benchhub_db::LoginCheck::Ready
        ));
        // The owner is not a service login.
        let options = benchhub_db::connect_options(&owner_url)?;
        let benchhub_db::LoginCheck::Refused(problems) =
            benchhub_db::check_service_login(&options).await
        else {
            panic!("the owner passed the service check");
        };
        assert!(
            problems
                .iter()
                .any(|problem| problem.contains("owns tables")),
            "{problems:?}"
        );

        // The same role for both is refused before anything is created.
        let same = benchhub_db::roles::setup(&admin_url, &owner_url, &owner_url).await;
        assert!(same.is_err());
        anyhow::Ok(())
    }
    .await;
    let mut admin = PgConnection::connect(&admin_url).await?;
    admin
        .execute(format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)").as_str())
        .await?;
    for role in [&service, &owner] {
        let _ = admin
            .execute(format!("DROP ROLE IF EXISTS \"{role}\"").as_str())
            .await;
    }
    admin.close().await?;
    outcome
}
