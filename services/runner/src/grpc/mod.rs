//! gRPC handlers of `RunnerService`: read the caller, validate and convert, call the service layer or
//! repository, convert back. The only place that builds `tonic::Status`.

mod requests;
mod watch;

use std::pin::Pin;
use std::sync::Arc;

use benchhub_common::convert::{from_timestamp, timestamp};
use benchhub_common::paging;
use benchhub_common::rpc::{principal, request_id};
use benchhub_proto::pb;
use futures::Stream;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::convert;
use crate::domain::validate::{self, MAX_CASES_PER_REQUEST};
use crate::engine::Engine;
use crate::error::Error;
use crate::service::{self, Caller, Created};
use benchhub_common::grading::{GraderSpec, JudgeSpec};

use self::requests::{
    bad_token, bearer_token, case_from_pb, decode_cursor, outcome_to_pb, page_size,
};

/// Implements `benchhub.v1.RunnerService`.
#[derive(Debug, Clone)]
pub struct RunnerApi {
    pool: PgPool,
    engine: Arc<Engine>,
    shutdown: CancellationToken,
    forward_tokens: bool,
    views: Arc<crate::service::RunViews>,
}

impl RunnerApi {
    /// Creates the handlers; `forward_tokens` keeps the creator's bearer token of a run in memory for
    /// the judge when no judge token is configured; `shutdown` ends WatchRun streams.
    pub fn new(
        pool: PgPool,
        engine: Arc<Engine>,
        shutdown: CancellationToken,
        forward_tokens: bool,
    ) -> Self {
        Self {
            pool,
            engine,
            shutdown,
            forward_tokens,
            views: Arc::default(),
        }
    }
}

type ResultStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

impl RunnerApi {
    async fn load_run(&self, tenant: &str, run_id: Uuid) -> Result<pb::Run, Error> {
        let (row, counts, aggregates, choice) =
            crate::service::run_view(&self.pool, Some(&self.views), tenant, run_id).await?;
        Ok(convert::run_to_pb(
            &row,
            &counts,
            &aggregates,
            Some(&choice),
        ))
    }
}

#[tonic::async_trait]
impl pb::runner_service_server::RunnerService for RunnerApi {
    async fn create_suite(
        &self,
        request: Request<pb::CreateSuiteRequest>,
    ) -> Result<Response<pb::CreateSuiteResponse>, Status> {
        let tenant = principal(&request).tenant_id;
        let message = request.into_inner();
        let name = validate::suite_name(&message.name)?;
        let description = validate::description(&message.description)?;
        let suite = service::create_suite(&self.pool, &tenant, &name, &description).await?;
        Ok(Response::new(pb::CreateSuiteResponse {
            suite: Some(convert::suite_to_pb(&suite)),
        }))
    }

    async fn get_suite(
        &self,
        request: Request<pb::GetSuiteRequest>,
    ) -> Result<Response<pb::GetSuiteResponse>, Status> {
        let tenant = principal(&request).tenant_id;
        let id = validate::id("suite_id", &request.get_ref().suite_id)?;
        let suite = service::get_suite(&self.pool, &tenant, id).await?;
        Ok(Response::new(pb::GetSuiteResponse {
            suite: Some(convert::suite_to_pb(&suite)),
        }))
    }

    async fn list_suites(
        &self,
        request: Request<pb::ListSuitesRequest>,
    ) -> Result<Response<pb::ListSuitesResponse>, Status> {
        let tenant = principal(&request).tenant_id;
        let message = request.into_inner();
        let size = page_size(message.page_size)?;
        let search = validate::suite_search(&message.search)?;
        let fingerprint = paging::fingerprint(&["suites", &search]);
        let after = decode_cursor(&message.page_token, &fingerprint)?
            .map(|cursor| paging::parse_time_cursor(&cursor).ok_or_else(bad_token))
            .transpose()?;
        let mut rows = service::list_suites(&self.pool, &tenant, &search, after, size + 1).await?;
        let next_page_token = paging::next_page_token(&mut rows, size, &fingerprint, |row| {
            paging::time_cursor(row.created_at, row.id)
        });
        Ok(Response::new(pb::ListSuitesResponse {
            suites: rows.iter().map(convert::suite_to_pb).collect(),
            next_page_token,
        }))
    }

    async fn add_test_cases(
        &self,
        request: Request<pb::AddTestCasesRequest>,
    ) -> Result<Response<pb::AddTestCasesResponse>, Status> {
        let tenant = principal(&request).tenant_id;
        let message = request.into_inner();
        let suite_id = validate::id("suite_id", &message.suite_id)?;
        if message.cases.is_empty() || message.cases.len() > MAX_CASES_PER_REQUEST {
            return Err(Error::invalid(
                "cases",
                format!("must hold 1–{MAX_CASES_PER_REQUEST} cases per request"),
            )
            .into());
        }
        let cases = message
            .cases
            .into_iter()
            .enumerate()
            .map(|(index, case)| case_from_pb(&format!("cases[{index}]"), case))
            .collect::<Result<Vec<_>, _>>()?;
        let (rows, count) = service::add_cases(&self.pool, &tenant, suite_id, &cases).await?;
        Ok(Response::new(pb::AddTestCasesResponse {
            cases: rows.iter().map(convert::case_to_pb).collect(),
            case_count: i32::try_from(count).unwrap_or(i32::MAX),
        }))
    }

    async fn list_test_cases(
        &self,
        request: Request<pb::ListTestCasesRequest>,
    ) -> Result<Response<pb::ListTestCasesResponse>, Status> {
        let tenant = principal(&request).tenant_id;
        let message = request.into_inner();
        let suite_id = validate::id("suite_id", &message.suite_id)?;
        let tags = validate::tags("tags", &message.tags)?;
        let size = page_size(message.page_size)?;
        let fingerprint =
            paging::fingerprint(&["cases", &suite_id.to_string(), &tags.join("\u{1f}")]);
        let after = decode_cursor(&message.page_token, &fingerprint)?
            .map(|cursor| cursor.parse::<i32>().map_err(|_| bad_token()))
            .transpose()?;
        let mut rows =
            service::list_cases(&self.pool, &tenant, suite_id, &tags, after, size + 1).await?;
        let next_page_token = paging::next_page_token(&mut rows, size, &fingerprint, |row| {
            row.position.to_string()
        });
        Ok(Response::new(pb::ListTestCasesResponse {
            cases: rows.iter().map(convert::case_to_pb).collect(),
            next_page_token,
        }))
    }

    async fn create_run(
        &self,
        request: Request<pb::CreateRunRequest>,
    ) -> Result<Response<pb::CreateRunResponse>, Status> {
        let caller = principal(&request);
        let caller = Caller {
            tenant: caller.tenant_id,
            subject: caller.subject,
            request_id: request_id(&request),
        };
        let token = bearer_token(&request);
        let run_request = requests::run_request(request.into_inner())?;
        let created = service::create_run(&self.pool, &self.engine, &caller, run_request).await?;
        let run = match created {
            Created::Stored(row) => {
                if self.forward_tokens
                    && let Some(token) = token
                {
                    self.engine.remember_token(row.id, token);
                }
                tracing::info!(run_id = %row.id, tenant = %caller.tenant, models = row.models.len(), pairs = row.total_pairs, "run created");
                convert::run_to_pb(
                    &row,
                    &crate::domain::records::LiveCounts::default(),
                    &[],
                    None,
                )
            }
            Created::Estimate {
                config,
                case_count,
                suite_id,
            } => pb::Run {
                suite_id: suite_id.map(|id| id.to_string()).unwrap_or_default(),
                tenant_id: caller.tenant.clone(),
                models: convert::run_models_to_pb(&config),
                case_count: i32::try_from(case_count).unwrap_or(i32::MAX),
                repetitions: config.repetitions as i32,
                estimate: Some(convert::estimate_to_pb(&config.estimate)),
                limits: Some(convert::limits_to_pb(&config.limits)),
                grader: config.grader.as_ref().map(GraderSpec::to_pb),
                judge: config.judge.as_ref().map(JudgeSpec::to_pb),
                pairwise: config.pairwise,
                temperature: config.temperature,
                max_tokens: config.max_tokens as i32,
                use_cache: config.use_cache,
                ..pb::Run::default()
            },
        };
        Ok(Response::new(pb::CreateRunResponse { run: Some(run) }))
    }

    async fn get_run(
        &self,
        request: Request<pb::GetRunRequest>,
    ) -> Result<Response<pb::GetRunResponse>, Status> {
        let tenant = principal(&request).tenant_id;
        let run_id = validate::id("run_id", &request.get_ref().run_id)?;
        let run = self.load_run(&tenant, run_id).await?;
        Ok(Response::new(pb::GetRunResponse { run: Some(run) }))
    }

    async fn list_runs(
        &self,
        request: Request<pb::ListRunsRequest>,
    ) -> Result<Response<pb::ListRunsResponse>, Status> {
        let tenant = principal(&request).tenant_id;
        let message = request.into_inner();
        let size = page_size(message.page_size)?;
        let suite_id = if message.suite_id.trim().is_empty() {
            None
        } else {
            Some(validate::id("suite_id", &message.suite_id)?)
        };
        let status = convert::status_from_pb(message.status)?;
        let bound = |field: &str, value: Option<&prost_types::Timestamp>| {
            value
                .map(|value| {
                    from_timestamp(value)
                        .ok_or_else(|| Error::invalid(field, "is not a valid timestamp"))
                })
                .transpose()
        };
        let filter = crate::domain::records::RunFilter {
            suite_id,
            status,
            created_after: bound("created_after", message.created_after.as_ref())?,
            created_before: bound("created_before", message.created_before.as_ref())?,
        };
        let fingerprint = paging::fingerprint(&[
            "runs",
            &suite_id.map(|id| id.to_string()).unwrap_or_default(),
            &message.status.to_string(),
            &filter
                .created_after
                .map(|time| time.timestamp_micros().to_string())
                .unwrap_or_default(),
            &filter
                .created_before
                .map(|time| time.timestamp_micros().to_string())
                .unwrap_or_default(),
        ]);
        let after = decode_cursor(&message.page_token, &fingerprint)?
            .map(|cursor| paging::parse_time_cursor(&cursor).ok_or_else(bad_token))
            .transpose()?;
        let mut rows = service::list_runs(&self.pool, &tenant, &filter, after, size + 1).await?;
        let next_page_token = paging::next_page_token(&mut rows, size, &fingerprint, |(row, _)| {
            paging::time_cursor(row.created_at, row.id)
        });
        Ok(Response::new(pb::ListRunsResponse {
            runs: rows
                .iter()
                .map(|(row, counts)| {
                    let mut run = convert::run_to_pb(row, counts, &[], None);
                    run.model_stats.clear();
                    run
                })
                .collect(),
            next_page_token,
        }))
    }

    async fn list_run_results(
        &self,
        request: Request<pb::ListRunResultsRequest>,
    ) -> Result<Response<pb::ListRunResultsResponse>, Status> {
        let tenant = principal(&request).tenant_id;
        let message = request.into_inner();
        let run_id = validate::id("run_id", &message.run_id)?;
        let size = page_size(message.page_size)?;
        let case_id = if message.case_id.trim().is_empty() {
            None
        } else {
            Some(validate::id("case_id", &message.case_id)?)
        };
        let model = (!message.model.trim().is_empty()).then(|| message.model.trim().to_owned());
        let fingerprint = paging::fingerprint(&[
            "results",
            &run_id.to_string(),
            model.as_deref().unwrap_or(""),
            &case_id.map(|id| id.to_string()).unwrap_or_default(),
            if message.only_failed { "1" } else { "0" },
        ]);
        let after = decode_cursor(&message.page_token, &fingerprint)?
            .map(|cursor| {
                let mut parts = cursor.splitn(3, '|');
                let index = parts.next().and_then(|part| part.parse::<i32>().ok());
                let repetition = parts.next().and_then(|part| part.parse::<i32>().ok());
                let model = parts.next().map(str::to_owned);
                match (index, repetition, model) {
                    (Some(index), Some(repetition), Some(model)) => Ok((index, model, repetition)),
                    _ => Err(bad_token()),
                }
            })
            .transpose()?;
        let filter = crate::domain::records::ResultFilter {
            model,
            case_id,
            only_failed: message.only_failed,
        };
        let mut rows =
            service::list_results(&self.pool, &tenant, run_id, &filter, after, size + 1).await?;
        let next_page_token = paging::next_page_token(&mut rows, size, &fingerprint, |row| {
            format!("{}|{}|{}", row.case_index, row.repetition, row.model)
        });
        Ok(Response::new(pb::ListRunResultsResponse {
            results: rows.iter().map(convert::result_to_pb).collect(),
            next_page_token,
        }))
    }

    type WatchRunStream = ResultStream<pb::WatchRunResponse>;

    async fn watch_run(
        &self,
        request: Request<pb::WatchRunRequest>,
    ) -> Result<Response<Self::WatchRunStream>, Status> {
        let tenant = principal(&request).tenant_id;
        let message = request.into_inner();
        let run_id = validate::id("run_id", &message.run_id)?;
        // Answer NOT_FOUND up front rather than as the stream's first item.
        service::require_run(&self.pool, &tenant, run_id).await?;
        let stream = watch::watch(
            self.pool.clone(),
            Arc::clone(&self.engine),
            self.shutdown.clone(),
            tenant,
            run_id,
            message.replay_results,
        );
        Ok(Response::new(Box::pin(stream)))
    }

    async fn cancel_run(
        &self,
        request: Request<pb::CancelRunRequest>,
    ) -> Result<Response<pb::CancelRunResponse>, Status> {
        let caller = principal(&request);
        let run_id = validate::id("run_id", &request.get_ref().run_id)?;
        service::cancel_run(
            &self.pool,
            &self.engine,
            &caller.tenant_id,
            &caller.subject,
            run_id,
        )
        .await?;
        let run = self.load_run(&caller.tenant_id, run_id).await?;
        Ok(Response::new(pb::CancelRunResponse { run: Some(run) }))
    }

    async fn retry_run(
        &self,
        request: Request<pb::RetryRunRequest>,
    ) -> Result<Response<pb::RetryRunResponse>, Status> {
        let tenant = principal(&request).tenant_id;
        let token = bearer_token(&request);
        let run_id = validate::id("run_id", &request.get_ref().run_id)?;
        let token = token.filter(|_| self.forward_tokens);
        let retried = service::retry_run(&self.pool, &self.engine, &tenant, run_id, token).await?;
        let run = self.load_run(&tenant, run_id).await?;
        Ok(Response::new(pb::RetryRunResponse {
            run: Some(run),
            retried_pairs: i32::try_from(retried).unwrap_or(i32::MAX),
        }))
    }

    async fn compare_runs(
        &self,
        request: Request<pb::CompareRunsRequest>,
    ) -> Result<Response<pb::CompareRunsResponse>, Status> {
        let tenant = principal(&request).tenant_id;
        let message = request.into_inner();
        let run_a = validate::id("run_a_id", &message.run_a_id)?;
        let run_b = validate::id("run_b_id", &message.run_b_id)?;
        let comparison = service::compare_runs(&self.pool, &tenant, run_a, run_b).await?;
        Ok(Response::new(pb::CompareRunsResponse {
            run_a_id: run_a.to_string(),
            run_b_id: run_b.to_string(),
            shared_cases: i32::try_from(comparison.shared_cases).unwrap_or(i32::MAX),
            models: comparison
                .models
                .iter()
                .map(convert::model_comparison_to_pb)
                .collect(),
            cases: comparison
                .cases
                .iter()
                .map(|row| pb::CaseComparison {
                    case_id: row.case_id.clone(),
                    model: row.model.clone(),
                    quality_a: row.quality_a,
                    quality_b: row.quality_b,
                    outcome: outcome_to_pb(row.outcome) as i32,
                    cost_delta_micro_usd: row.cost_delta_micro_usd,
                    latency_delta_ms: row.latency_delta_ms,
                })
                .collect(),
            cases_truncated: comparison.truncated,
        }))
    }

    async fn compare_models(
        &self,
        request: Request<pb::CompareModelsRequest>,
    ) -> Result<Response<pb::CompareModelsResponse>, Status> {
        let tenant = principal(&request).tenant_id;
        let message = request.into_inner();
        let run_id = validate::id("run_id", &message.run_id)?;
        let pairs = service::compare_models(&self.pool, &tenant, run_id, &message.models).await?;
        Ok(Response::new(pb::CompareModelsResponse {
            run_id: run_id.to_string(),
            pairs: pairs
                .iter()
                .map(|(model_a, model_b, row)| pb::ModelPairComparison {
                    model_a: model_a.clone(),
                    model_b: model_b.clone(),
                    comparison: Some(convert::model_comparison_to_pb(row)),
                })
                .collect(),
        }))
    }

    async fn get_suite_stats(
        &self,
        request: Request<pb::GetSuiteStatsRequest>,
    ) -> Result<Response<pb::GetSuiteStatsResponse>, Status> {
        let tenant = principal(&request).tenant_id;
        let message = request.into_inner();
        let suite_id = validate::id("suite_id", &message.suite_id)?;
        let since = message
            .since
            .as_ref()
            .map(|value| {
                from_timestamp(value)
                    .ok_or_else(|| Error::invalid("since", "is not a valid timestamp"))
            })
            .transpose()?;
        let stats = service::suite_statistics(&self.pool, &tenant, suite_id, since).await?;
        Ok(Response::new(pb::GetSuiteStatsResponse {
            suite_id: suite_id.to_string(),
            models: stats
                .models
                .iter()
                .map(convert::model_stats_to_pb)
                .collect(),
            cost_trend: stats
                .trend
                .iter()
                .map(|point| {
                    let priced = point.unpriced == 0 && point.successes > 0;
                    pb::CostTrendPoint {
                        run_id: point.run_id.to_string(),
                        completed_at: Some(timestamp(point.completed_at)),
                        model: point.model.clone(),
                        total_cost_micro_usd: priced.then_some(point.total_cost_micro_usd),
                        mean_cost_micro_usd: (priced && point.results > 0).then(|| {
                            (point.total_cost_micro_usd as f64 / point.results as f64).round()
                                as i64
                        }),
                        mean_quality: point.mean_quality,
                    }
                })
                .collect(),
            tied_for_best: stats.choice.tied_for_best.clone(),
            best_value_model: stats.choice.best_value_model.clone().unwrap_or_default(),
            best_versus_runner_up: convert::best_test_to_pb(&stats.choice),
            best_model: stats.choice.best_model.clone().unwrap_or_default(),
            cheapest_model: stats.cheapest_model.unwrap_or_default(),
            completed_runs: i32::try_from(stats.completed_runs).unwrap_or(i32::MAX),
            last_completed_at: stats.last_completed_at.map(timestamp),
            stale: stats.stale_reason.is_some(),
            stale_reason: stats.stale_reason.unwrap_or_default(),
        }))
    }
}
