//! Generated code for the `benchhub.v1` protobuf package.
//!
//! Every service imports the messages and service traits as `benchhub_proto::pb`.

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

pub mod codec;

/// Messages, clients and servers generated from `proto/benchhub/v1/*.proto`.
#[allow(clippy::all, clippy::pedantic, clippy::restriction, missing_docs)]
pub mod pb {
    tonic::include_proto!("benchhub.v1");
}

/// Encoded `FileDescriptorSet` of every benchhub proto file, for server reflection (v1 and v1alpha).
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("benchhub_descriptor");
