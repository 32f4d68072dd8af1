//! Start-up of a judge server with the fake provider, and small request builders.

use std::time::Duration;

use benchhub_fake_provider::{FakeConfig, FakeProviderHandle};
use benchhub_judge::Config;
use benchhub_proto::pb;
use benchhub_proto::pb::judge_service_client::JudgeServiceClient;
use benchhub_testkit::{TestDb, TestServer};
use tonic::transport::Channel;
use tonic_types::StatusExt;

/// Bootstrap admin token of every test server.
pub(crate) const ADMIN: &str = "judge-tests-admin-token";

/// A judge server, its database and its fake provider.
pub(crate) struct Harness {
    pub db: TestDb,
    #[allow(dead_code, reason = "held so the server runs for the test's duration")]
    pub server: TestServer,
    pub fake: FakeProviderHandle,
    pub client: JudgeServiceClient<Channel>,
}

impl Harness {
    /// Starts with the fake provider's conventions and default judge settings.
    pub(crate) async fn start() -> Self {
        Self::start_with(FakeConfig::new(), |_| {}).await
    }

    /// Starts with a fake provider configuration and a configuration tweak.
    pub(crate) async fn start_with(
        fake_config: FakeConfig,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let db = TestDb::new().await.expect("test database");
        let (_, fake) = benchhub_fake_provider::spawn(fake_config)
            .await
            .expect("fake provider");
        let mut config = Config::for_tests(&db.url);
        config.common.admin_token = Some(ADMIN.to_owned().into());
        let url = fake.url();
        config
            .resolve_providers(move |name| {
                (name == "BENCHHUB_FAKE_PROVIDER_URL").then(|| url.clone())
            })
            .expect("providers");
        configure(&mut config);
        let server = TestServer::start(move |listener, shutdown| {
            benchhub_judge::run(config, listener, shutdown)
        })
        .await
        .expect("server starts");
        server
            .wait_serving(Duration::from_secs(30))
            .await
            .expect("server serving");
        let client = JudgeServiceClient::new(server.channel().await.expect("channel"))
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024);
        Self {
            db,
            server,
            fake,
            client,
        }
    }

    /// Wraps a message with the admin token.
    pub(crate) fn request<T>(&self, message: T) -> tonic::Request<T> {
        benchhub_testkit::authorized(message, ADMIN)
    }

    /// Scores one output as admin.
    pub(crate) async fn score(
        &self,
        output: &str,
        kind: pb::grader::Kind,
    ) -> Result<pb::ScoreResult, tonic::Status> {
        self.score_with_input("", output, kind).await
    }

    /// Scores one output for a task as admin.
    pub(crate) async fn score_with_input(
        &self,
        input: &str,
        output: &str,
        kind: pb::grader::Kind,
    ) -> Result<pb::ScoreResult, tonic::Status> {
        let mut client = self.client.clone();
        client
            .score(self.request(pb::ScoreRequest {
                input: input.to_owned(),
                output: output.to_owned(),
                grader: Some(grader(kind)),
            }))
            .await
            .map(|response| response.into_inner().result.expect("a result"))
    }
}

/// Wraps a grader kind.
pub(crate) fn grader(kind: pb::grader::Kind) -> pb::Grader {
    pb::Grader { kind: Some(kind) }
}

/// An LLM rubric grader judged by `judge`.
pub(crate) fn rubric(
    expected: &str,
    rubric: &str,
    judge: &str,
    candidates: &[&str],
) -> pb::grader::Kind {
    pb::grader::Kind::LlmRubric(pb::LlmRubricGrader {
        expected: expected.to_owned(),
        rubric: rubric.to_owned(),
        judge: Some(pb::JudgeModel {
            model: judge.to_owned(),
            temperature: None,
            max_tokens: None,
        }),
        candidate_models: candidates.iter().map(|model| (*model).to_owned()).collect(),
        pass_threshold: None,
    })
}

/// Asserts INVALID_ARGUMENT naming `field` (in the message and the BadRequest detail); returns the
/// message.
pub(crate) fn assert_invalid(status: &tonic::Status, field: &str) -> String {
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains(field),
        "message {:?} lacks {field}",
        status.message()
    );
    let details = status.get_error_details();
    let violations = &details
        .bad_request()
        .expect("bad request detail")
        .field_violations;
    assert_eq!(violations[0].field, field);
    status.message().to_owned()
}
