//! ListRankings, all of it: validating a request and computing its page ([`RankingsApi::list_page`]),
//! the response message ([`ListedPage::render`]), and the route that answers it with pre-encoded
//! bytes ([`RankingsRoutes`]) with its caches. The trait method in `grpc/mod.rs` only renders
//! `list_page`'s answer for callers that do not go through the route.
//!
//! Ranking pages are read far more often than the catalog changes, and a page of 50 rows with every
//! metric is tens of kilobytes of protobuf that takes longer to build and encode than the ranking itself.
//! So ListRankings requests are read as their raw bytes and answered with already-encoded, already
//! framed `ListRankingsResponse` bytes, with two caches:
//! - by request: the exact request bytes under the same live catalog, staleness and day are answered
//!   from the bytes sent last time, without decoding, validating or ranking anything;
//! - by page: encoded pages per (catalog versions, query fingerprint, date, rows, view, staleness), so
//!   differently spelled requests for the same page share one encoding.
//!
//! A kept answer goes out as it is stored (a reference-counted buffer, not copied): the HTTP/2 body
//! is the gRPC message frame, then the `grpc-status: 0` trailers. tonic's unary handler would copy every
//! answer into its own encode buffer, so the request side is read with tonic's `Streaming` (which
//! enforces the size limit) and the compression check is the one tonic makes, with its wording.
//!
//! Every other method goes to the generated server. The bytes on the wire are exactly what the
//! generated code would send.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use benchhub_proto::codec::RawDecoder;
use benchhub_proto::pb;
use bytes::Bytes;
use chrono::NaiveDate;
use http_body::Frame;
use prost::Message;
use tonic::Status;
use tonic::codec::Streaming;
use tonic::codegen::{Body, BoxFuture, Context, Poll, Service, StdError, http};
use tonic::metadata::MetadataValue;
use tonic::server::NamedService;

use benchhub_common::convert::{date_text, timestamp};

use super::{RankingsApi, convert, page_size, request, weights_message};
use crate::domain::catalog::Catalog;
use crate::domain::scores::Weights;
use crate::error::Error;
use crate::service::{RankingsPage, today};

/// Path of the method served here.
pub const LIST_RANKINGS_PATH: &str = "/benchhub.v1.RankingsService/ListRankings";

/// Encoded pages kept, and answers kept by request.
pub const PAGE_CACHE_ENTRIES: usize = 256;

/// Length of the gRPC message prefix: a compression flag and a big-endian u32 length.
const FRAME_PREFIX: usize = 5;

/// What makes two ListRankings answers identical: the request bytes under the same live catalog,
/// staleness and day (the default as_of and the freshness ages follow the day).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestKey {
    live_version: u64,
    stale: bool,
    today: NaiveDate,
    request: Bytes,
}

/// What makes two encoded pages identical.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    catalog_version: u64,
    previous_version: Option<u64>,
    fingerprint: String,
    as_of: NaiveDate,
    start: usize,
    end: usize,
    view: convert::RowView,
    stale: bool,
}

impl PageKey {
    fn of(listed: &ListedPage) -> Self {
        let ranked = &listed.page.ranked;
        Self {
            catalog_version: ranked.catalog.version,
            previous_version: ranked.previous_version,
            fingerprint: listed.fingerprint.clone(),
            as_of: ranked.as_of,
            start: listed.page.range.start,
            end: listed.page.range.end,
            view: listed.view,
            stale: ranked.stale,
        }
    }
}

/// Least-recently-used cache of encoded responses.
#[derive(Debug)]
pub struct PageCache<Key = PageKey> {
    entries: Mutex<HashMap<Key, (u64, Bytes)>>,
    clock: AtomicU64,
    capacity: usize,
}

/// Encoded answers by request.
pub type RequestCache = PageCache<RequestKey>;

impl<Key: Eq + std::hash::Hash> PageCache<Key> {
    /// Creates a cache of at most `capacity` pages.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            clock: AtomicU64::new(0),
            capacity,
        }
    }

    fn get(&self, key: &Key) -> Option<Bytes> {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get_mut(key).map(|(used, bytes)| {
            *used = tick;
            bytes.clone()
        })
    }

    fn insert(&self, key: Key, bytes: Bytes) {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.insert(key, (tick, bytes));
        if entries.len() > self.capacity {
            // Evict the least recently used eighth at once, so eviction stays rare.
            let mut ticks: Vec<u64> = entries.values().map(|(used, _)| *used).collect();
            ticks.sort_unstable();
            let cutoff = ticks[(self.capacity / 8).max(1).min(ticks.len() - 1)];
            entries.retain(|_, (used, _)| *used >= cutoff);
        }
    }
}

/// Field number of `RankingRow.metrics` and of `ListRankingsResponse.rows`.
const ROW_METRICS_FIELD: u32 = 8;
const RESPONSE_ROWS_FIELD: u32 = 1;

/// Catalogs whose encoded metrics are kept.
const METRIC_CATALOGS: usize = 4;

/// The encoded `metrics` fields of every entry of one catalog, each built on first use. A model's metrics
/// are the bulk of a full row and the same in every ranking of the catalog.
struct CatalogMetrics {
    version: u64,
    entries: Vec<OnceLock<Bytes>>,
}

/// Encoded metrics of the most recently used catalogs.
#[derive(Default)]
pub struct MetricsCache {
    catalogs: Mutex<VecDeque<Arc<CatalogMetrics>>>,
}

impl std::fmt::Debug for MetricsCache {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MetricsCache")
            .finish_non_exhaustive()
    }
}

impl MetricsCache {
    fn for_catalog(&self, catalog: &Catalog) -> Arc<CatalogMetrics> {
        let mut catalogs = self
            .catalogs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = catalogs
            .iter()
            .find(|metrics| metrics.version == catalog.version)
        {
            return Arc::clone(found);
        }
        let metrics = Arc::new(CatalogMetrics {
            version: catalog.version,
            entries: (0..catalog.entries.len())
                .map(|_| OnceLock::new())
                .collect(),
        });
        catalogs.push_front(Arc::clone(&metrics));
        catalogs.truncate(METRIC_CATALOGS);
        metrics
    }
}

fn encoded_metrics(catalog: &Catalog, index: usize) -> Bytes {
    let mut buffer = Vec::new();
    for value in &catalog.entries[index].metrics {
        prost::encoding::message::encode(
            ROW_METRICS_FIELD,
            &convert::metric_value(value),
            &mut buffer,
        );
    }
    Bytes::from(buffer)
}

/// Encodes a page as a framed `ListRankingsResponse` (gRPC prefix, then the message): each row is encoded
/// without its metrics, followed by its cached encoded metrics (protobuf allows a message's fields in any
/// order and concatenates repeated fields), then the response's other fields.
fn encode_page(listed: &ListedPage, metrics: &MetricsCache) -> Bytes {
    let ranked = &listed.page.ranked;
    let catalog = &ranked.catalog;
    let full = listed.view == convert::RowView::Full;
    let cached = full.then(|| metrics.for_catalog(catalog));
    let mut buffer = Vec::with_capacity(if full { 80 * 1024 } else { 12 * 1024 });
    // The frame prefix, its length filled in at the end.
    buffer.extend_from_slice(&[0; FRAME_PREFIX]);
    for row in &ranked.rows[listed.page.range.clone()] {
        let message = convert::ranking_row_without_metrics(catalog, row, ranked.as_of, listed.view);
        let blob = cached.as_ref().map(|cached| {
            cached.entries[row.index]
                .get_or_init(|| encoded_metrics(catalog, row.index))
                .clone()
        });
        let length = message.encoded_len() + blob.as_ref().map_or(0, Bytes::len);
        prost::encoding::encode_key(
            RESPONSE_ROWS_FIELD,
            prost::encoding::WireType::LengthDelimited,
            &mut buffer,
        );
        prost::encoding::encode_varint(length as u64, &mut buffer);
        // Encoding into a Vec cannot run out of space.
        let _ = message.encode(&mut buffer);
        if let Some(blob) = blob {
            buffer.extend_from_slice(&blob);
        }
    }
    let _ = listed.render_without_rows().encode(&mut buffer);
    // A message over 4 GiB cannot be framed; pages are far below (ListRankings caps page_size).
    let length = u32::try_from(buffer.len() - FRAME_PREFIX).unwrap_or(u32::MAX);
    buffer[1..FRAME_PREFIX].copy_from_slice(&length.to_be_bytes());
    Bytes::from(buffer)
}

impl RankingsApi {
    /// Answers ListRankings with the framed encoded response, from the page cache when possible.
    pub async fn list_rankings_encoded(
        &self,
        request: pb::ListRankingsRequest,
    ) -> Result<Bytes, Status> {
        let listed = self.list_page(request).await?;
        let key = PageKey::of(&listed);
        if let Some(bytes) = self.pages.get(&key) {
            return Ok(bytes);
        }
        let bytes = encode_page(&listed, &self.metrics);
        self.pages.insert(key, bytes.clone());
        Ok(bytes)
    }

    fn request_key(&self, request: &Bytes) -> RequestKey {
        let store = self.rankings.store();
        RequestKey {
            live_version: store.current().map_or(0, |catalog| catalog.version),
            stale: store.is_stale(),
            today: today(),
            request: request.clone(),
        }
    }

    /// Answers a ListRankings request given as protobuf bytes with a framed response: the same bytes
    /// under the same live catalog, staleness and day get the same answer, so a repeat is served
    /// without decoding it.
    pub async fn list_rankings_bytes(&self, request: Bytes) -> Result<Bytes, Status> {
        let key = self.request_key(&request);
        if let Some(bytes) = self.answers.get(&key) {
            return Ok(bytes);
        }
        let message = pb::ListRankingsRequest::decode(request.clone()).map_err(|error| {
            Status::invalid_argument(format!("malformed request message: {error}"))
        })?;
        let bytes = self.list_rankings_encoded(message).await?;
        // Kept only when nothing changed meanwhile; errors are never kept.
        if self.request_key(&request) == key {
            self.answers.insert(key, bytes.clone());
        }
        Ok(bytes)
    }
}

/// Reads a unary request's one message as raw bytes, with the checks and wording of tonic's unary
/// handler: a compressed message is UNIMPLEMENTED (no compression is accepted, as for every other
/// method), one over `limit` bytes is OUT_OF_RANGE, a request without a message is INTERNAL.
async fn read_unary_message<B>(request: http::Request<B>, limit: usize) -> Result<Bytes, Status>
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    if let Some(encoding) = request.headers().get("grpc-encoding")
        && encoding.as_bytes() != b"identity"
    {
        let named = match std::str::from_utf8(encoding.as_bytes()) {
            Ok(text) => text.to_owned(),
            Err(_) => format!("{:?}", encoding.as_bytes()),
        };
        let mut status = Status::unimplemented(format!(
            "Content is compressed with `{named}` which isn't supported"
        ));
        status.metadata_mut().insert(
            "grpc-accept-encoding",
            MetadataValue::from_static("identity"),
        );
        return Err(status);
    }
    let mut stream = Streaming::new_request(RawDecoder, request.into_body(), None, Some(limit));
    stream
        .message()
        .await?
        .ok_or_else(|| Status::internal("Missing request message."))
}

/// Body of a successful unary answer: the framed message, then the `grpc-status: 0` trailers.
struct FramedAnswer {
    message: Option<Bytes>,
    trailers: Option<http::HeaderMap>,
}

impl Body for FramedAnswer {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if let Some(message) = self.message.take() {
            return Poll::Ready(Some(Ok(Frame::data(message))));
        }
        Poll::Ready(
            self.trailers
                .take()
                .map(|trailers| Ok(Frame::trailers(trailers))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.message.is_none() && self.trailers.is_none()
    }
}

/// The HTTP response of a successful unary call whose message is already framed.
fn framed_response(framed: Bytes) -> http::Response<tonic::body::Body> {
    let mut trailers = http::HeaderMap::with_capacity(1);
    trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
    let mut response = http::Response::new(tonic::body::Body::new(FramedAnswer {
        message: Some(framed),
        trailers: Some(trailers),
    }));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/grpc"),
    );
    response
}

/// Answers one ListRankings call.
async fn answer_list_rankings<B>(
    api: RankingsApi,
    request: http::Request<B>,
    limit: usize,
) -> http::Response<tonic::body::Body>
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    let answer = match read_unary_message(request, limit).await {
        Ok(message) => api.list_rankings_bytes(message).await,
        Err(status) => Err(status),
    };
    match answer {
        Ok(framed) => framed_response(framed),
        Err(status) => status.into_http(),
    }
}

/// `benchhub.v1.RankingsService`: ListRankings from pre-encoded bytes, every other method through the
/// generated server.
#[derive(Debug, Clone)]
pub struct RankingsRoutes {
    generated: pb::rankings_service_server::RankingsServiceServer<RankingsApi>,
    api: RankingsApi,
    max_decoding_message_size: usize,
}

impl RankingsRoutes {
    /// Serves `api`, accepting requests up to `max_decoding_message_size` bytes.
    pub fn new(api: RankingsApi, max_decoding_message_size: usize) -> Self {
        Self {
            generated: pb::rankings_service_server::RankingsServiceServer::new(api.clone())
                .max_decoding_message_size(max_decoding_message_size),
            api,
            max_decoding_message_size,
        }
    }
}

impl NamedService for RankingsRoutes {
    const NAME: &'static str = pb::rankings_service_server::SERVICE_NAME;
}

impl<B> Service<http::Request<B>> for RankingsRoutes
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() != LIST_RANKINGS_PATH {
            return self.generated.call(request);
        }
        let api = self.api.clone();
        let limit = self.max_decoding_message_size;
        Box::pin(async move { Ok(answer_list_rankings(api, request, limit).await) })
    }
}

/// A validated and computed page of ListRankings, before conversion.
#[derive(Debug)]
pub struct ListedPage {
    /// The page.
    pub page: RankingsPage,
    /// Which fields rows carry.
    pub view: convert::RowView,
    /// The normalised weights applied.
    pub weights: Weights,
    /// Fingerprint of the query (filter, ordering, weights, dates).
    pub fingerprint: String,
}

impl ListedPage {
    /// Converts the page into the response message.
    pub fn render(&self) -> pb::ListRankingsResponse {
        let ranked = &self.page.ranked;
        let catalog = &ranked.catalog;
        let rows = ranked.rows[self.page.range.clone()]
            .iter()
            .map(|row| convert::ranking_row(catalog, row, ranked.as_of, self.view))
            .collect();
        pb::ListRankingsResponse {
            rows,
            ..self.render_without_rows()
        }
    }

    /// The response message without its rows.
    pub fn render_without_rows(&self) -> pb::ListRankingsResponse {
        let ranked = &self.page.ranked;
        let catalog = &ranked.catalog;
        pb::ListRankingsResponse {
            rows: Vec::new(),
            next_page_token: self.page.next_page_token.clone(),
            total_size: i32::try_from(ranked.rows.len()).unwrap_or(i32::MAX),
            source_status: convert::source_statuses(catalog),
            catalog_built_at: Some(timestamp(catalog.built_at)),
            catalog_stale: ranked.stale,
            weights: Some(weights_message(&self.weights)),
            as_of: date_text(Some(ranked.as_of)),
        }
    }
}

impl RankingsApi {
    /// Validates a ListRankings request and computes its page.
    pub async fn list_page(&self, request: pb::ListRankingsRequest) -> Result<ListedPage, Status> {
        let page_size = page_size(request.page_size)?;
        let view = match pb::RankingView::try_from(request.view) {
            Ok(pb::RankingView::Basic | pb::RankingView::Unspecified) => convert::RowView::Basic,
            Ok(pb::RankingView::Full) => convert::RowView::Full,
            Err(_) => {
                return Err(Error::invalid(
                    "view",
                    format!(
                        "{} is not a known value; allowed: RANKING_VIEW_BASIC, RANKING_VIEW_FULL",
                        request.view
                    ),
                )
                .into());
            }
        };
        let params = request::rankings_params(
            request.filter,
            &request.order_by,
            request.weights,
            &request.as_of,
            &request.compare_to,
            request.group_by_family,
        )?;
        let page = self
            .rankings
            .list(&params, page_size, &request.page_token)
            .await?;
        Ok(ListedPage {
            page,
            view,
            weights: params.query.weights,
            fingerprint: params.fingerprint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written route splices encoded fields by number: those numbers must be the generated
    /// code's (a renumbered .proto field fails here, not in a client).
    #[test]
    fn field_numbers_match_the_generated_messages() {
        use prost::Message as _;
        let tag = |field: u32| u8::try_from((field << 3) | 2).expect("one-byte tag");
        let row = pb::RankingRow {
            metrics: vec![pb::MetricValue::default()],
            ..Default::default()
        };
        assert_eq!(row.encode_to_vec().first(), Some(&tag(ROW_METRICS_FIELD)));
        let response = pb::ListRankingsResponse {
            rows: vec![pb::RankingRow::default()],
            ..Default::default()
        };
        assert_eq!(
            response.encode_to_vec().first(),
            Some(&tag(RESPONSE_ROWS_FIELD))
        );
    }

    /// The message of a framed answer (what a client decodes).
    fn unframed(framed: &Bytes) -> Bytes {
        framed.slice(FRAME_PREFIX..)
    }

    fn key(start: usize) -> PageKey {
        PageKey {
            catalog_version: 1,
            previous_version: None,
            fingerprint: "f".to_owned(),
            as_of: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
            start,
            end: start + 50,
            view: convert::RowView::Full,
            stale: false,
        }
    }

    #[tokio::test]
    async fn encoded_pages_decode_to_the_rendered_message() {
        use crate::domain::catalog::{build, tests::example_input};
        use crate::domain::query::{RankingQuery, default_order, rank};
        use crate::domain::scores::Weights;
        use crate::service::{Ranked, RankingsPage};

        let catalog = Arc::new(build(example_input(), None, 1, chrono::Utc::now()));
        let query = RankingQuery {
            filter: Default::default(),
            order: default_order(),
            weights: Weights::DEFAULT,
            group_by_family: false,
        };
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 10).expect("date");
        let rows = Arc::new(rank(&catalog, &query, as_of, None));
        let metrics = MetricsCache::default();
        for (range, full) in [(0..3, true), (1..2, true), (0..3, false), (0..0, true)] {
            let listed = ListedPage {
                page: RankingsPage {
                    ranked: Ranked {
                        catalog: Arc::clone(&catalog),
                        rows: Arc::clone(&rows),
                        as_of,
                        stale: false,
                        previous_version: None,
                    },
                    range,
                    next_page_token: "next".to_owned(),
                },
                view: if full {
                    convert::RowView::Full
                } else {
                    convert::RowView::Basic
                },
                weights: Weights::DEFAULT,
                fingerprint: "f".to_owned(),
            };
            // Twice: the second time from the cached metrics.
            for _ in 0..2 {
                let framed = encode_page(&listed, &metrics);
                // Uncompressed, with the message's length.
                assert_eq!(framed[0], 0);
                let length = u32::from_be_bytes([framed[1], framed[2], framed[3], framed[4]]);
                assert_eq!(length as usize, framed.len() - FRAME_PREFIX);
                let decoded = pb::ListRankingsResponse::decode(unframed(&framed)).expect("decodes");
                assert_eq!(decoded, listed.render());
            }
        }
    }

    #[test]
    fn page_cache_keeps_recent_pages_within_capacity() {
        let cache = PageCache::new(16);
        for start in 0..40 {
            cache.insert(key(start), Bytes::from(vec![start as u8]));
        }
        let kept = (0..40)
            .filter(|start| cache.get(&key(*start)).is_some())
            .count();
        assert!(kept <= 17, "{kept}");
        assert_eq!(cache.get(&key(39)), Some(Bytes::from(vec![39u8])));
    }
}
