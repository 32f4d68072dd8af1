//! gRPC handlers of `JudgeService`: read the caller, validate and convert, call the domain, convert back.

use benchhub_proto::pb;
use tonic::{Request, Response, Status};

/// Implements `benchhub.v1.JudgeService`.
#[derive(Clone, Default)]
pub struct JudgeApi {}

impl JudgeApi {
    /// Creates the handlers.
    pub fn new() -> Self {
        Self {}
    }
}

fn not_built(method: &str) -> Status {
    Status::unimplemented(format!(
        "judge: {method} is not available yet (judge service issue)"
    ))
}

#[tonic::async_trait]
impl pb::judge_service_server::JudgeService for JudgeApi {
    async fn score(
        &self,
        _request: Request<pb::ScoreRequest>,
    ) -> Result<Response<pb::ScoreResponse>, Status> {
        Err(not_built("Score"))
    }

    async fn score_batch(
        &self,
        _request: Request<pb::ScoreBatchRequest>,
    ) -> Result<Response<pb::ScoreBatchResponse>, Status> {
        Err(not_built("ScoreBatch"))
    }

    async fn compare(
        &self,
        _request: Request<pb::CompareRequest>,
    ) -> Result<Response<pb::CompareResponse>, Status> {
        Err(not_built("Compare"))
    }

    async fn rank_models(
        &self,
        _request: Request<pb::RankModelsRequest>,
    ) -> Result<Response<pb::RankModelsResponse>, Status> {
        Err(not_built("RankModels"))
    }
}
