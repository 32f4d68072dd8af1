//! Migrations apply on an empty database, concurrently from several replicas, and again as a no-op.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

use sqlx::{Connection, Executor, PgConnection};

#[tokio::test]
async fn migrations_apply_concurrently_and_twice() -> anyhow::Result<()> {
    let server = benchhub_testkit::server_url();
    let name = format!(
        "bhtest_{}_migrate_{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let mut admin = PgConnection::connect(&server).await?;
    admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await?;
    let url = benchhub_testkit::url_with_database(&server, &name);

    let outcome = async {
        // Three "replicas" start at once.
        let mut replicas = Vec::new();
        for _ in 0..3 {
            let url = url.clone();
            replicas.push(tokio::spawn(async move {
                let pool = sqlx::postgres::PgPoolOptions::new().max_connections(2).connect(&url).await?;
                benchhub_db::MIGRATOR.run(&pool).await?;
                pool.close().await;
                anyhow::Ok(())
            }));
        }
        for replica in replicas {
            replica.await??;
        }
        // And once more: nothing left to do.
        let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&url).await?;
        benchhub_db::MIGRATOR.run(&pool).await?;
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&pool)
            .await?;
        assert_eq!(applied as usize, benchhub_db::MIGRATOR.iter().count());
        let forced: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_class WHERE relname IN ('suites','test_cases','benchmark_runs','benchmark_results') \
             AND relrowsecurity AND relforcerowsecurity",
        )
        .fetch_one(&pool)
        .await?;
        assert_eq!(forced, 4, "tenant-owned tables enforce row-level security");
        pool.close().await;
        anyhow::Ok(())
    }
    .await;
    admin
        .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await?;
    outcome
}

#[tokio::test]
async fn tenants_see_only_their_own_rows() -> anyhow::Result<()> {
    let db = benchhub_testkit::TestDb::new().await?;
    sqlx::query("INSERT INTO tenants (id, name) VALUES ('t1','t1'), ('t2','t2')")
        .execute(&db.pool)
        .await?;
    sqlx::query("INSERT INTO suites (tenant_id, name) VALUES ('t1','a'), ('t1','b'), ('t2','c')")
        .execute(&db.pool)
        .await?;
    let mut transaction = benchhub_db::begin_tenant(&db.pool, "t1").await?;
    let visible: Vec<String> = sqlx::query_scalar("SELECT name FROM suites ORDER BY name")
        .fetch_all(&mut *transaction)
        .await?;
    assert_eq!(visible, ["a", "b"]);
    let cross = sqlx::query("INSERT INTO suites (tenant_id, name) VALUES ('t2','sneaky')")
        .execute(&mut *transaction)
        .await;
    assert!(
        cross.is_err(),
        "a tenant cannot write another tenant's rows"
    );
    transaction.rollback().await?;
    Ok(())
}
