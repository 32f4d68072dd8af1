//! Aliases and re-linking, the unmatched report, the scheduler across two replicas, and auth.

use std::time::{Duration, Instant};

use benchhub_proto::pb;
use benchhub_proto::pb::ingest_service_client::IngestServiceClient;
use benchhub_proto::pb::token_service_client::TokenServiceClient;
use benchhub_testkit::authorized;

use crate::support::{ADMIN, Harness, config, generated, start_service, status};

/// The EvalPlus spelling of the generator's first synthetic model (index 8).
async fn synthetic_evalplus_name(harness: &Harness) -> anyhow::Result<String> {
    Ok(sqlx::query_scalar(
        "SELECT source_model_name FROM observations WHERE source = 'evalplus' \
         AND source_model_name LIKE 'Lumen R8 (%' LIMIT 1",
    )
    .fetch_one(&harness.db.pool)
    .await?)
}

#[tokio::test]
async fn aliases_relink_stored_observations_at_once() -> anyhow::Result<()> {
    let harness = Harness::start(generated(12), |_| {}).await?;
    let ingested = harness.reingest("evalplus", false).await?;
    assert!(ingested.unmatched > 0, "{ingested:?}");
    let name = synthetic_evalplus_name(&harness).await?;

    let unmatched = harness
        .client()
        .list_unmatched_models(authorized(
            pb::ListUnmatchedModelsRequest {
                source: "evalplus".to_owned(),
                ..Default::default()
            },
            ADMIN,
        ))
        .await?
        .into_inner();
    let entry = unmatched
        .models
        .iter()
        .find(|model| model.source_model_name == name)
        .expect("listed as unmatched");
    assert_eq!(entry.normalized_name, "lumen r8");
    assert_eq!(entry.observation_count, 2);
    assert_eq!(unmatched.total_size as usize, unmatched.models.len());

    let added = harness
        .client()
        .add_model_alias(authorized(
            pb::AddModelAliasRequest {
                source: "evalplus".to_owned(),
                alias: name.clone(),
                model_id: "openai/gpt-4o".to_owned(),
            },
            ADMIN,
        ))
        .await?
        .into_inner();
    assert_eq!(added.relinked_observations, 2);
    assert_eq!(
        added.alias.as_ref().map(|alias| alias.model_id.as_str()),
        Some("openai/gpt-4o")
    );
    let linked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM observations WHERE source = 'evalplus' AND source_model_name = $1 \
         AND model_id = 'openai/gpt-4o'",
    )
    .bind(&name)
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(linked, 2);
    // adding the same alias again is idempotent; pointing it elsewhere is a conflict
    let again = harness
        .client()
        .add_model_alias(authorized(
            pb::AddModelAliasRequest {
                source: "evalplus".to_owned(),
                alias: name.clone(),
                model_id: "openai/gpt-4o".to_owned(),
            },
            ADMIN,
        ))
        .await?
        .into_inner();
    assert_eq!(again.relinked_observations, 0);
    let conflict = harness
        .client()
        .add_model_alias(authorized(
            pb::AddModelAliasRequest {
                source: "evalplus".to_owned(),
                alias: name.clone(),
                model_id: "deepseek/deepseek-v3".to_owned(),
            },
            ADMIN,
        ))
        .await
        .expect_err("conflict");
    assert_eq!(conflict.code(), tonic::Code::AlreadyExists);
    for (source, alias, model, code) in [
        ("evalplus", "x", "nobody/nothing", tonic::Code::NotFound),
        ("nowhere", "x", "openai/gpt-4o", tonic::Code::NotFound),
        (
            "evalplus",
            "",
            "openai/gpt-4o",
            tonic::Code::InvalidArgument,
        ),
        ("evalplus", "x", "", tonic::Code::InvalidArgument),
    ] {
        let error = harness
            .client()
            .add_model_alias(authorized(
                pb::AddModelAliasRequest {
                    source: source.to_owned(),
                    alias: alias.to_owned(),
                    model_id: model.to_owned(),
                },
                ADMIN,
            ))
            .await
            .expect_err("rejected");
        assert_eq!(error.code(), code, "{source} {alias} {model}");
    }
    // The next ingest keeps the alias's match.
    harness
        .replay
        .control()
        .set_backend(crate::support::generated(12));
    sqlx::query("DELETE FROM raw_payloads WHERE source = 'evalplus'")
        .execute(&harness.db.pool)
        .await?;
    let reingested = harness.reingest("evalplus", false).await?;
    assert_eq!(reingested.inserted, 0, "{reingested:?}");
    assert_eq!(reingested.unmatched, ingested.unmatched - 2);

    let removed = harness
        .client()
        .remove_model_alias(authorized(
            pb::RemoveModelAliasRequest {
                source: "evalplus".to_owned(),
                alias: name.clone(),
            },
            ADMIN,
        ))
        .await?
        .into_inner();
    assert_eq!(removed.unlinked_observations, 2);
    let relinked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM observations WHERE source = 'evalplus' AND source_model_name = $1 \
         AND model_id IS NULL",
    )
    .bind(&name)
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(relinked, 2);
    let missing = harness
        .client()
        .remove_model_alias(authorized(
            pb::RemoveModelAliasRequest {
                source: "evalplus".to_owned(),
                alias: name,
            },
            ADMIN,
        ))
        .await
        .expect_err("gone");
    assert_eq!(missing.code(), tonic::Code::NotFound);
    harness.stop().await
}

#[tokio::test]
async fn a_due_schedule_fires_once_across_two_replicas() -> anyhow::Result<()> {
    let harness = Harness::start(generated(6), |config| {
        config.scheduler = true;
    })
    .await?;
    let (second, _) = start_service({
        let mut config = config(&harness.db, &harness.replay);
        config.scheduler = true;
        config
    })
    .await?;
    sqlx::query(
        "UPDATE source_state SET next_run_at = now() - interval '1 second' WHERE source = 'evalplus'",
    )
    .execute(&harness.db.pool)
    .await?;
    wait_scheduled_evalplus_run(&harness, "the schedule did not fire").await?;
    // several more ticks of both schedulers
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (runs, actor): (i64, Option<String>) = sqlx::query_as(
        "SELECT count(*), max(actor) FROM ingestion_runs WHERE source = 'evalplus' AND trigger = 'schedule'",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(runs, 1);
    assert_eq!(actor.as_deref(), Some("scheduler"));
    let next_in_future: bool = sqlx::query_scalar(
        "SELECT next_run_at > now() FROM source_state WHERE source = 'evalplus'",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert!(next_in_future);
    let others: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ingestion_runs WHERE trigger = 'schedule' AND source <> 'evalplus'",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(others, 0, "only the due source fired");
    second.stop().await?;
    harness.stop().await
}

/// A firing missed while no replica was up (the service was down over the scheduled time) runs once
/// when a replica starts, not never and not once per missed firing.
#[tokio::test]
async fn a_firing_missed_while_down_runs_once_at_start_up() -> anyhow::Result<()> {
    let harness = Harness::start(generated(6), |_| {}).await?;
    // Three days of missed weekly/nightly firings: the stored next run is long past.
    sqlx::query(
        "UPDATE source_state SET next_run_at = now() - interval '3 days' WHERE source = 'evalplus'",
    )
    .execute(&harness.db.pool)
    .await?;
    let (replica, _) = start_service({
        let mut config = config(&harness.db, &harness.replay);
        config.scheduler = true;
        config
    })
    .await?;
    wait_scheduled_evalplus_run(&harness, "the missed firing did not run at start-up").await?;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let runs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ingestion_runs WHERE source = 'evalplus' AND trigger = 'schedule'",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(runs, 1, "one catch-up run, not one per missed firing");
    let next_in_future: bool = sqlx::query_scalar(
        "SELECT next_run_at > now() FROM source_state WHERE source = 'evalplus'",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert!(next_in_future);
    replica.stop().await?;
    harness.stop().await
}

#[tokio::test]
async fn admin_rpcs_need_an_admin_token() -> anyhow::Result<()> {
    let harness = Harness::start(generated(4), |_| {}).await?;
    let mut tokens = TokenServiceClient::new(harness.channel.clone());
    let reader = tokens
        .create_token(authorized(
            pb::CreateTokenRequest {
                name: "reader".to_owned(),
                role: pb::Role::Reader as i32,
                tenant_id: String::new(),
            },
            ADMIN,
        ))
        .await?
        .into_inner()
        .secret;
    let mut client = IngestServiceClient::new(harness.channel.clone());
    let request = || pb::ReingestSourceRequest {
        source: "evalplus".to_owned(),
        dry_run: false,
    };
    let anonymous = client
        .reingest_source(tonic::Request::new(request()))
        .await
        .expect_err("no token");
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
    let as_reader = client
        .reingest_source(authorized(request(), &reader))
        .await
        .expect_err("reader");
    assert_eq!(as_reader.code(), tonic::Code::PermissionDenied);
    let alias_as_reader = client
        .add_model_alias(authorized(
            pb::AddModelAliasRequest {
                source: "evalplus".to_owned(),
                alias: "x".to_owned(),
                model_id: "openai/gpt-4o".to_owned(),
            },
            &reader,
        ))
        .await
        .expect_err("reader");
    assert_eq!(alias_as_reader.code(), tonic::Code::PermissionDenied);
    let all = client
        .reingest_all(authorized(pb::ReingestAllRequest::default(), &reader))
        .await
        .map(|_| ())
        .expect_err("reader");
    assert_eq!(all.code(), tonic::Code::PermissionDenied);
    let bad = client
        .reingest_source(authorized(request(), "not-a-token"))
        .await
        .expect_err("bad token");
    assert_eq!(bad.code(), tonic::Code::Unauthenticated);
    // readers may read the reports; anyone may list sources
    client
        .list_ingestion_runs(authorized(pb::ListIngestionRunsRequest::default(), &reader))
        .await?;
    client
        .list_unmatched_models(authorized(
            pb::ListUnmatchedModelsRequest::default(),
            &reader,
        ))
        .await?;
    client
        .list_sources(pb::ListSourcesRequest::default())
        .await?;
    assert_eq!(
        status(&harness.reingest("evalplus", false).await?),
        pb::RunStatus::Succeeded
    );
    harness.stop().await
}

#[tokio::test]
async fn runs_left_running_by_a_stopped_process_are_closed_at_start_up() -> anyhow::Result<()> {
    let harness = Harness::start(generated(4), |_| {}).await?;
    let run_id: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO ingestion_runs (source, trigger, status) VALUES ('evalplus', 'manual', 'running') \
         RETURNING id",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    let (restarted, _) = start_service(config(&harness.db, &harness.replay)).await?;
    let (status, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, error FROM ingestion_runs WHERE id = $1")
            .bind(run_id)
            .fetch_one(&harness.db.pool)
            .await?;
    assert_eq!(status, "failed");
    assert!(error.unwrap_or_default().starts_with("interrupted"));
    restarted.stop().await?;
    harness.stop().await
}

/// Waits (15 s at most, else fails with `failure`) until a scheduled run of evalplus has ended.
async fn wait_scheduled_evalplus_run(harness: &Harness, failure: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ingestion_runs WHERE source = 'evalplus' AND trigger = 'schedule' \
             AND status <> 'running'",
        )
        .fetch_one(&harness.db.pool)
        .await?;
        if done > 0 {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "{failure}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The platform admin (the bootstrap token) manages every tenant's tokens; an admin token of a tenant
/// manages only its own: it cannot mint, list or revoke another tenant's tokens.
#[tokio::test]
async fn a_tenants_admin_manages_only_its_own_tenants_tokens() -> anyhow::Result<()> {
    let harness = Harness::start(generated(2), |_| {}).await?;
    let mut tokens = TokenServiceClient::new(harness.channel.clone());
    let create = |name: &str, role: pb::Role, tenant: &str| pb::CreateTokenRequest {
        name: name.to_owned(),
        role: role as i32,
        tenant_id: tenant.to_owned(),
    };
    let tenant_c_admin = tokens
        .create_token(authorized(
            create("c-admin", pb::Role::Admin, "tenant-c"),
            ADMIN,
        ))
        .await?
        .into_inner()
        .secret;
    let tenant_a_reader = tokens
        .create_token(authorized(
            create("a-reader", pb::Role::Reader, "tenant-a"),
            ADMIN,
        ))
        .await?
        .into_inner()
        .token
        .expect("token");

    // Minting for another tenant is refused; for its own (explicit or empty) it works.
    let refused = tokens
        .create_token(authorized(
            create("sneaky", pb::Role::Reader, "tenant-a"),
            &tenant_c_admin,
        ))
        .await
        .expect_err("cross-tenant mint");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    assert!(
        refused.message().contains("tenant_id"),
        "{}",
        refused.message()
    );
    let own = tokens
        .create_token(authorized(
            create("c-reader", pb::Role::Reader, ""),
            &tenant_c_admin,
        ))
        .await?
        .into_inner()
        .token
        .expect("token");
    assert_eq!(own.tenant_id, "tenant-c");

    // Listing shows its own tenant only, and asking for another tenant is refused.
    let listed = tokens
        .list_tokens(authorized(
            pb::ListTokensRequest::default(),
            &tenant_c_admin,
        ))
        .await?
        .into_inner()
        .tokens;
    assert!(!listed.is_empty());
    assert!(
        listed.iter().all(|token| token.tenant_id == "tenant-c"),
        "{listed:?}"
    );
    let refused = tokens
        .list_tokens(authorized(
            pb::ListTokensRequest {
                tenant_id: "tenant-a".to_owned(),
                ..pb::ListTokensRequest::default()
            },
            &tenant_c_admin,
        ))
        .await
        .expect_err("cross-tenant list");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);

    // Revoking another tenant's token is NOT_FOUND (its existence is not disclosed) and changes nothing.
    let hidden = tokens
        .revoke_token(authorized(
            pb::RevokeTokenRequest {
                id: tenant_a_reader.id.clone(),
            },
            &tenant_c_admin,
        ))
        .await
        .expect_err("cross-tenant revoke");
    assert_eq!(hidden.code(), tonic::Code::NotFound);

    // The platform admin sees and manages every tenant.
    let all = tokens
        .list_tokens(authorized(pb::ListTokensRequest::default(), ADMIN))
        .await?
        .into_inner()
        .tokens;
    let tenants: std::collections::BTreeSet<&str> =
        all.iter().map(|token| token.tenant_id.as_str()).collect();
    assert!(
        tenants.contains("tenant-a") && tenants.contains("tenant-c"),
        "{tenants:?}"
    );
    let still_active = all
        .iter()
        .find(|token| token.id == tenant_a_reader.id)
        .expect("listed");
    assert!(still_active.revoked_at.is_none());
    let revoked = tokens
        .revoke_token(authorized(
            pb::RevokeTokenRequest {
                id: tenant_a_reader.id.clone(),
            },
            ADMIN,
        ))
        .await?
        .into_inner()
        .token
        .expect("token");
    assert!(revoked.revoked_at.is_some());
    harness.stop().await
}
