//! gRPC handlers of `RankingsService`: read the caller, validate and convert, call the domain, convert back.

use std::pin::Pin;

use benchhub_proto::pb;
use futures::Stream;
use tonic::{Request, Response, Status};

/// Implements `benchhub.v1.RankingsService`.
#[derive(Clone, Default)]
pub struct RankingsApi {}

impl RankingsApi {
    /// Creates the handlers.
    pub fn new() -> Self {
        Self {}
    }
}

fn not_built(method: &str) -> Status {
    Status::unimplemented(format!(
        "rankings: {method} is not available yet (rankings service issue)"
    ))
}

type ResultStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl pb::rankings_service_server::RankingsService for RankingsApi {
    async fn list_rankings(
        &self,
        _request: Request<pb::ListRankingsRequest>,
    ) -> Result<Response<pb::ListRankingsResponse>, Status> {
        Err(not_built("ListRankings"))
    }

    async fn get_model(
        &self,
        _request: Request<pb::GetModelRequest>,
    ) -> Result<Response<pb::GetModelResponse>, Status> {
        Err(not_built("GetModel"))
    }

    async fn get_model_history(
        &self,
        _request: Request<pb::GetModelHistoryRequest>,
    ) -> Result<Response<pb::GetModelHistoryResponse>, Status> {
        Err(not_built("GetModelHistory"))
    }

    async fn get_latest_model(
        &self,
        _request: Request<pb::GetLatestModelRequest>,
    ) -> Result<Response<pb::GetLatestModelResponse>, Status> {
        Err(not_built("GetLatestModel"))
    }

    type ExportRankingsStream = ResultStream<pb::ExportRankingsResponse>;

    async fn export_rankings(
        &self,
        _request: Request<pb::ExportRankingsRequest>,
    ) -> Result<Response<Self::ExportRankingsStream>, Status> {
        Err(not_built("ExportRankings"))
    }

    async fn list_benchmarks(
        &self,
        _request: Request<pb::ListBenchmarksRequest>,
    ) -> Result<Response<pb::ListBenchmarksResponse>, Status> {
        Err(not_built("ListBenchmarks"))
    }
}
