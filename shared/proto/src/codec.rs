//! The codec of every generated client and server: prost encoding, and decoding from one contiguous
//! buffer.
//!
//! tonic hands a decoder the message inside its receive buffer (a `BytesMut`), and prost reading
//! through it pays that buffer's bookkeeping on every field. Taking the message out as `Bytes` first is
//! free (the buffer is split, not copied) and makes every read a slice access: a 50-row ListRankings
//! page decodes markedly faster. The receive buffer starts at 16 KiB instead of tonic's 8 KiB, so a
//! default ListRankings page (about 10 KB) lands in it without the buffer being reallocated and copied
//! on every call. Encoding is that of `tonic_prost::ProstCodec`; a body that does not decode is
//! INVALID_ARGUMENT (tonic_prost answers INTERNAL).

use std::marker::PhantomData;

use bytes::Buf;
use prost::Message;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::ProstEncoder;

/// Initial size of a call's receive buffer (tonic's default is 8 KiB).
pub const DECODE_BUFFER_BYTES: usize = 16 * 1024;

/// tonic's default: how much an encoder buffers before yielding (unused by decoding, required by the
/// settings type).
const YIELD_THRESHOLD_BYTES: usize = 32 * 1024;

/// Prost codec decoding from a contiguous buffer.
#[derive(Debug, Clone)]
pub struct ProstCodec<T, U>(PhantomData<fn() -> (T, U)>);

impl<T, U> Default for ProstCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for ProstCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = ContiguousDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::default()
    }

    fn decoder(&mut self) -> Self::Decoder {
        ContiguousDecoder(PhantomData)
    }
}

/// Decodes a message after taking it out of the receive buffer as `Bytes`.
#[derive(Debug, Clone)]
pub struct ContiguousDecoder<U>(PhantomData<fn() -> U>);

impl<U: Message + Default> Decoder for ContiguousDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, source: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        let length = source.remaining();
        U::decode(source.copy_to_bytes(length))
            .map(Some)
            // A body that does not parse is the caller's fault: INVALID_ARGUMENT with prost's account,
            // which names the message and field ("failed to decode Protobuf message:
            // CreateSuiteRequest.name: invalid string value: data is not UTF-8 encoded").
            .map_err(|error| Status::invalid_argument(error.to_string()))
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::new(DECODE_BUFFER_BYTES, YIELD_THRESHOLD_BYTES)
    }
}

/// Hands over a message's bytes undecoded (for servers that answer from raw request bytes and clients
/// that skip decoding).
#[derive(Debug, Default, Clone, Copy)]
pub struct RawDecoder;

impl Decoder for RawDecoder {
    type Item = bytes::Bytes;
    type Error = Status;

    fn decode(&mut self, source: &mut DecodeBuf<'_>) -> Result<Option<bytes::Bytes>, Status> {
        let length = source.remaining();
        Ok(Some(source.copy_to_bytes(length)))
    }
}
