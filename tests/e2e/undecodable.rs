//! Request bodies that are not valid protobuf, sent raw to every RPC of every service: each answers
//! INVALID_ARGUMENT naming the message and field at fault (one codec path, `benchhub_proto::codec`),
//! never INTERNAL, and nothing is written.

use benchhub_testkit::raw::RawCodec;
use bytes::Bytes;
use prost::Message;
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;

use crate::stack::{ADMIN_TOKEN, Stack};

/// Bodies no request message decodes from, whatever its first field is.
const BODIES: [(&str, &[u8]); 3] = [
    // Field 1 as a 2-byte length-delimited value holding invalid UTF-8 (or, for a numeric or message
    // field, the wrong wire type or an invalid nested message).
    ("invalid UTF-8", &[0x0a, 0x02, 0xff, 0xfe]),
    // Field 1 with wire type 7, which does not exist.
    ("wrong wire type", &[0x0f, 0x01]),
    // Field 1 announces 16 bytes and carries one.
    ("truncated", &[0x0a, 0x10, b'a']),
];

/// (service, method, server streaming) of every RPC in the contracts.
fn methods() -> Vec<(String, String, bool)> {
    let set = prost_types::FileDescriptorSet::decode(benchhub_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set");
    let mut methods = Vec::new();
    for file in set.file {
        let package = file.package().to_owned();
        for service in &file.service {
            for method in &service.method {
                methods.push((
                    format!("{package}.{}", service.name()),
                    method.name().to_owned(),
                    method.server_streaming(),
                ));
            }
        }
    }
    methods
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_bodies_are_invalid_argument_on_every_rpc() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let before = crate::hostile::row_counts(&stack.db.pool).await?;
    let methods = methods();
    assert!(methods.len() >= 30, "{} methods", methods.len());
    let mut wrong = Vec::new();
    for (service, method, streaming) in &methods {
        let server = match service.as_str() {
            "benchhub.v1.IngestService" | "benchhub.v1.TokenService" => &stack.ingest,
            "benchhub.v1.RankingsService" => &stack.rankings,
            "benchhub.v1.RunnerService" => &stack.runner,
            "benchhub.v1.JudgeService" => &stack.judge,
            other => anyhow::bail!("no server for {other}"),
        };
        let path: PathAndQuery = format!("/{service}/{method}").parse()?;
        for (name, body) in BODIES {
            let mut grpc = tonic::client::Grpc::new(server.channel().await?);
            grpc.ready().await?;
            let request = benchhub_testkit::authorized(Bytes::from_static(body), ADMIN_TOKEN);
            let status = if *streaming {
                match grpc.server_streaming(request, path.clone(), RawCodec).await {
                    Ok(response) => response.into_inner().message().await.err(),
                    Err(status) => Some(status),
                }
            } else {
                grpc.unary(request, path.clone(), RawCodec).await.err()
            };
            match status {
                Some(status) if status.code() == Code::InvalidArgument => {
                    // The message names what failed to decode, and no internals beyond it.
                    assert!(
                        status.message().contains("decode") || status.message().contains("field"),
                        "{service}/{method} {name}: {}",
                        status.message()
                    );
                }
                Some(status) => wrong.push(format!(
                    "{service}/{method} ({name}): {:?} {}",
                    status.code(),
                    status.message()
                )),
                None => wrong.push(format!("{service}/{method} ({name}): answered OK")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(crate::hostile::row_counts(&stack.db.pool).await?, before);
    stack.stop().await
}
