//! Bad inputs: INVALID_ARGUMENT naming the field and what is allowed.

use benchhub_proto::pb;
use tonic_types::StatusExt;

use crate::support::{Harness, days_ago, request, seed_basic, today};

fn bad_field(status: &tonic::Status) -> String {
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    status
        .get_error_details()
        .bad_request()
        .and_then(|bad| bad.field_violations.first().map(|v| v.field.clone()))
        .unwrap_or_default()
}

#[tokio::test]
async fn bad_requests_name_the_field() -> anyhow::Result<()> {
    let harness = Harness::start(seed_basic).await?;
    let mut client = harness.client.clone();

    let status = client
        .list_rankings(request(None, "popularity desc"))
        .await
        .expect_err("unknown field");
    assert_eq!(bad_field(&status), "order_by");
    for allowed in [
        "overall_score",
        "coding_score",
        "ttft_seconds",
        "metric.SOURCE.CATEGORY.METRIC",
    ] {
        assert!(status.message().contains(allowed), "{}", status.message());
    }
    let status = client
        .list_rankings(request(None, "metric.lmarena.text.nope"))
        .await
        .expect_err("unknown metric");
    assert!(status.message().contains("metric.lmarena.text.elo"));
    let status = client
        .list_rankings(request(None, "id upwards"))
        .await
        .expect_err("bad direction");
    assert_eq!(bad_field(&status), "order_by");

    for weights in [
        pb::Weights {
            coding: -1.0,
            performance: 1.0,
            value: 1.0,
        },
        pb::Weights::default(),
        pb::Weights {
            coding: f64::NAN,
            performance: 1.0,
            value: 0.0,
        },
        pb::Weights {
            coding: f64::INFINITY,
            performance: 1.0,
            value: 0.0,
        },
    ] {
        let mut bad = request(None, "");
        bad.weights = Some(weights);
        let status = client.list_rankings(bad).await.expect_err("bad weights");
        assert_eq!(bad_field(&status), "weights");
    }

    let mut bad = request(None, "");
    bad.page_token = "not-a-token".to_owned();
    let status = client.list_rankings(bad).await.expect_err("bad token");
    assert_eq!(bad_field(&status), "page_token");

    // A token is bound to its query.
    let mut first = request(None, "");
    first.page_size = 2;
    let token = client
        .list_rankings(first)
        .await?
        .into_inner()
        .next_page_token;
    let mut other = request(None, "id");
    other.page_size = 2;
    other.page_token = token;
    let status = client.list_rankings(other).await.expect_err("other query");
    assert_eq!(bad_field(&status), "page_token");

    let mut bad = request(None, "");
    bad.page_size = -1;
    let status = client.list_rankings(bad).await.expect_err("negative size");
    assert_eq!(bad_field(&status), "page_size");

    let mut bad = request(None, "");
    bad.as_of = "2026-13-01".to_owned();
    let status = client.list_rankings(bad).await.expect_err("bad date");
    assert_eq!(bad_field(&status), "as_of");
    assert!(status.message().contains("YYYY-MM-DD"));

    let mut bad = request(None, "");
    bad.as_of = (today() + chrono::Duration::days(2)).to_string();
    let status = client.list_rankings(bad).await.expect_err("future");
    assert_eq!(bad_field(&status), "as_of");

    let mut bad = request(None, "");
    bad.as_of = days_ago(10).to_string();
    bad.compare_to = days_ago(5).to_string();
    let status = client.list_rankings(bad).await.expect_err("inverted");
    assert_eq!(bad_field(&status), "compare_to");

    let mut bad = request(None, "");
    bad.view = 9;
    let status = client.list_rankings(bad).await.expect_err("view");
    assert_eq!(bad_field(&status), "view");

    let status = client
        .list_rankings(request(
            Some(pb::RankingsFilter {
                search: "x".repeat(201),
                ..pb::RankingsFilter::default()
            }),
            "",
        ))
        .await
        .expect_err("long search");
    assert_eq!(bad_field(&status), "filter.search");
    let status = client
        .list_rankings(request(
            Some(pb::RankingsFilter {
                max_price: Some(-1.0),
                ..pb::RankingsFilter::default()
            }),
            "",
        ))
        .await
        .expect_err("negative price");
    assert_eq!(bad_field(&status), "filter.max_price");
    let status = client
        .list_rankings(request(
            Some(pb::RankingsFilter {
                freshness: vec![17],
                ..pb::RankingsFilter::default()
            }),
            "",
        ))
        .await
        .expect_err("unknown freshness");
    assert_eq!(bad_field(&status), "filter.freshness");
    assert!(status.message().contains("FRESHNESS_FRESH"));

    let status = client
        .get_model(pb::GetModelRequest {
            model: "openai/gpt-4o".to_owned(),
            as_of: "last week".to_owned(),
        })
        .await
        .expect_err("bad as_of");
    assert_eq!(bad_field(&status), "as_of");

    let status = client
        .list_benchmarks(pb::ListBenchmarksRequest {
            page_size: -5,
            ..pb::ListBenchmarksRequest::default()
        })
        .await
        .expect_err("page size");
    assert_eq!(bad_field(&status), "page_size");
    // Above the maximum is lowered to it (AIP-158), not rejected.
    let mut large = request(None, "");
    large.page_size = 100_000;
    assert_eq!(
        client.list_rankings(large).await?.into_inner().rows.len(),
        5
    );
    let status = client
        .list_benchmarks(pb::ListBenchmarksRequest {
            page_token: "garbage".to_owned(),
            ..pb::ListBenchmarksRequest::default()
        })
        .await
        .expect_err("token");
    assert_eq!(bad_field(&status), "page_token");
    harness.server.stop().await
}

/// ListRankings is served from raw request bytes (and answers kept by them): bytes that are no
/// ListRankingsRequest get INVALID_ARGUMENT every time, never a kept answer, and the answer to valid
/// bytes is the generated server's encoding of the same response.
#[tokio::test]
async fn malformed_list_request_bytes_are_rejected_every_time() -> anyhow::Result<()> {
    use prost::Message;

    let harness = Harness::start(seed_basic).await?;
    let mut raw = tonic::client::Grpc::new(harness.server.channel().await?);
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/benchhub.v1.RankingsService/ListRankings",
    );
    for _ in 0..2 {
        raw.ready().await?;
        let status = raw
            .unary(
                tonic::Request::new(bytes::Bytes::from_static(&[0xff, 0xff, 0xff])),
                path.clone(),
                benchhub_testkit::raw::RawCodec,
            )
            .await
            .expect_err("malformed bytes");
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains("malformed request message"));
    }
    let valid = request(None, "");
    for _ in 0..2 {
        raw.ready().await?;
        let answer = raw
            .unary(
                tonic::Request::new(bytes::Bytes::from(valid.encode_to_vec())),
                path.clone(),
                benchhub_testkit::raw::RawCodec,
            )
            .await?
            .into_inner();
        let decoded = pb::ListRankingsResponse::decode(answer)?;
        let mut client = harness.client.clone();
        assert_eq!(
            decoded,
            client.list_rankings(valid.clone()).await?.into_inner()
        );
    }
    harness.server.stop().await
}

/// ListRankings is answered without tonic's unary handler (its pre-encoded answers go out without a
/// copy), so the protocol errors that handler gives must stay the same as every other method's: a
/// compressed request is UNIMPLEMENTED naming the encoding, a message over BENCHHUB_MAX_REQUEST_BYTES is
/// OUT_OF_RANGE, and a good answer is an ordinary gRPC response (status 0, grpc content type).
#[tokio::test]
async fn list_rankings_answers_protocol_errors_as_other_methods_do() -> anyhow::Result<()> {
    use prost::Message;

    let harness = Harness::start(seed_basic).await?;
    let channel = harness.server.channel().await?;
    let mut raw = tonic::client::Grpc::new(channel);
    let list = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/benchhub.v1.RankingsService/ListRankings",
    );
    let model = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/benchhub.v1.RankingsService/GetModel",
    );
    let list_body = bytes::Bytes::from(request(None, "").encode_to_vec());
    let model_body = bytes::Bytes::from(
        pb::GetModelRequest {
            model: "gpt-4o".to_owned(),
            ..pb::GetModelRequest::default()
        }
        .encode_to_vec(),
    );
    let oversized = bytes::Bytes::from(vec![0u8; 4 * 1024 * 1024 + 1]);
    let mut call = async |path: &tonic::codegen::http::uri::PathAndQuery,
                          body: bytes::Bytes,
                          encoding: Option<&'static str>| {
        let mut request = tonic::Request::new(body);
        if let Some(encoding) = encoding {
            request
                .metadata_mut()
                .insert("grpc-encoding", encoding.parse().expect("ascii"));
        }
        raw.ready().await.expect("ready");
        raw.unary(request, path.clone(), benchhub_testkit::raw::RawCodec)
            .await
    };

    let compressed = call(&list, list_body.clone(), Some("gzip"))
        .await
        .expect_err("compressed");
    let expected = call(&model, model_body.clone(), Some("gzip"))
        .await
        .expect_err("compressed");
    assert_eq!(
        compressed.code(),
        tonic::Code::Unimplemented,
        "{compressed:?}"
    );
    assert_eq!(compressed.code(), expected.code());
    assert_eq!(compressed.message(), expected.message());
    assert!(compressed.message().contains("gzip"), "{compressed:?}");
    assert_eq!(
        compressed.metadata().get("grpc-accept-encoding"),
        expected.metadata().get("grpc-accept-encoding")
    );

    let too_large = call(&list, oversized.clone(), None)
        .await
        .expect_err("too large");
    let expected = call(&model, oversized, None).await.expect_err("too large");
    assert_eq!(too_large.code(), tonic::Code::OutOfRange, "{too_large:?}");
    assert_eq!(too_large.code(), expected.code());
    assert_eq!(too_large.message(), expected.message());

    // "identity" is no compression, as for every other method.
    let answer = call(&list, list_body.clone(), Some("identity")).await?;
    assert_eq!(
        answer
            .metadata()
            .get("content-type")
            .and_then(|value| value.to_str().ok()),
        Some("application/grpc")
    );
    let decoded = pb::ListRankingsResponse::decode(answer.into_inner())?;
    assert!(!decoded.rows.is_empty());
    // Cached and fresh answers both end with an OK status.
    for _ in 0..2 {
        let answer = call(&list, list_body.clone(), None).await?;
        assert_eq!(
            pb::ListRankingsResponse::decode(answer.into_inner())?,
            decoded
        );
    }
    harness.server.stop().await
}
