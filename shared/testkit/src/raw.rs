//! A client codec that sends and receives message bytes as they are: for requests no generated client
//! would send (malformed bytes) and for load generators that skip decoding responses.

pub use benchhub_proto::codec::RawDecoder;
use bytes::{BufMut, Bytes};
use tonic::Status;
use tonic::codec::{Codec, EncodeBuf, Encoder};

/// Sends `Bytes` as the request message and returns the response message as `Bytes`.
#[derive(Debug, Default, Clone, Copy)]
pub struct RawCodec;

/// Writes the request bytes.
#[derive(Debug)]
pub struct RawEncoder;

impl Encoder for RawEncoder {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, destination: &mut EncodeBuf<'_>) -> Result<(), Status> {
        destination.put(item);
        Ok(())
    }
}

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}
