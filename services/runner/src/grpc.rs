//! gRPC handlers of `RunnerService`: read the caller, validate and convert, call the domain, convert back.

use std::pin::Pin;

use benchhub_proto::pb;
use futures::Stream;
use tonic::{Request, Response, Status};

/// Implements `benchhub.v1.RunnerService`.
#[derive(Clone, Default)]
pub struct RunnerApi {}

impl RunnerApi {
    /// Creates the handlers.
    pub fn new() -> Self {
        Self {}
    }
}

fn not_built(method: &str) -> Status {
    Status::unimplemented(format!(
        "runner: {method} is not available yet (runner service issue)"
    ))
}

type ResultStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl pb::runner_service_server::RunnerService for RunnerApi {
    async fn create_suite(
        &self,
        _request: Request<pb::CreateSuiteRequest>,
    ) -> Result<Response<pb::CreateSuiteResponse>, Status> {
        Err(not_built("CreateSuite"))
    }

    async fn get_suite(
        &self,
        _request: Request<pb::GetSuiteRequest>,
    ) -> Result<Response<pb::GetSuiteResponse>, Status> {
        Err(not_built("GetSuite"))
    }

    async fn list_suites(
        &self,
        _request: Request<pb::ListSuitesRequest>,
    ) -> Result<Response<pb::ListSuitesResponse>, Status> {
        Err(not_built("ListSuites"))
    }

    async fn add_test_cases(
        &self,
        _request: Request<pb::AddTestCasesRequest>,
    ) -> Result<Response<pb::AddTestCasesResponse>, Status> {
        Err(not_built("AddTestCases"))
    }

    async fn list_test_cases(
        &self,
        _request: Request<pb::ListTestCasesRequest>,
    ) -> Result<Response<pb::ListTestCasesResponse>, Status> {
        Err(not_built("ListTestCases"))
    }

    async fn create_run(
        &self,
        _request: Request<pb::CreateRunRequest>,
    ) -> Result<Response<pb::CreateRunResponse>, Status> {
        Err(not_built("CreateRun"))
    }

    async fn get_run(
        &self,
        _request: Request<pb::GetRunRequest>,
    ) -> Result<Response<pb::GetRunResponse>, Status> {
        Err(not_built("GetRun"))
    }

    async fn list_runs(
        &self,
        _request: Request<pb::ListRunsRequest>,
    ) -> Result<Response<pb::ListRunsResponse>, Status> {
        Err(not_built("ListRuns"))
    }

    async fn list_run_results(
        &self,
        _request: Request<pb::ListRunResultsRequest>,
    ) -> Result<Response<pb::ListRunResultsResponse>, Status> {
        Err(not_built("ListRunResults"))
    }

    type WatchRunStream = ResultStream<pb::WatchRunResponse>;

    async fn watch_run(
        &self,
        _request: Request<pb::WatchRunRequest>,
    ) -> Result<Response<Self::WatchRunStream>, Status> {
        Err(not_built("WatchRun"))
    }

    async fn cancel_run(
        &self,
        _request: Request<pb::CancelRunRequest>,
    ) -> Result<Response<pb::CancelRunResponse>, Status> {
        Err(not_built("CancelRun"))
    }

    async fn retry_run(
        &self,
        _request: Request<pb::RetryRunRequest>,
    ) -> Result<Response<pb::RetryRunResponse>, Status> {
        Err(not_built("RetryRun"))
    }

    async fn compare_runs(
        &self,
        _request: Request<pb::CompareRunsRequest>,
    ) -> Result<Response<pb::CompareRunsResponse>, Status> {
        Err(not_built("CompareRuns"))
    }

    async fn get_suite_stats(
        &self,
        _request: Request<pb::GetSuiteStatsRequest>,
    ) -> Result<Response<pb::GetSuiteStatsResponse>, Status> {
        Err(not_built("GetSuiteStats"))
    }
}
