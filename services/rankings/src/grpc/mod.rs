//! gRPC handlers of `RankingsService`: validate and convert the request, call the service, convert back.
//! The only place that deals in `tonic::Status`.

pub mod convert;
pub mod list_rankings;
pub mod request;

pub use list_rankings::ListedPage;

use std::pin::Pin;
use std::sync::Arc;

use benchhub_common::convert::{date_text, timestamp};
use benchhub_common::paging;
use benchhub_proto::pb;
use futures::Stream;
use tonic::{Request, Response, Status};

use crate::domain::export::CsvChunks;
use crate::domain::grades::age_days;
use crate::domain::history::latest_label;
use crate::domain::scores::{self, Weights};
use crate::error::Error;
use crate::service::{Rankings, today};

/// Implements `benchhub.v1.RankingsService`.
#[derive(Debug, Clone)]
pub struct RankingsApi {
    rankings: Arc<Rankings>,
    pages: Arc<list_rankings::PageCache>,
    answers: Arc<list_rankings::RequestCache>,
    metrics: Arc<list_rankings::MetricsCache>,
}

impl RankingsApi {
    /// Creates the handlers over the service state.
    pub fn new(rankings: Arc<Rankings>) -> Self {
        Self {
            rankings,
            pages: Arc::new(list_rankings::PageCache::new(
                list_rankings::PAGE_CACHE_ENTRIES,
            )),
            answers: Arc::new(list_rankings::RequestCache::new(
                list_rankings::PAGE_CACHE_ENTRIES,
            )),
            metrics: Arc::new(list_rankings::MetricsCache::default()),
        }
    }
}

type ResultStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// AIP-158 page size: 0 means the default, values above the maximum are lowered to it, negative
/// values are rejected.
fn page_size(requested: i32) -> Result<usize, Error> {
    Ok(paging::page_size(requested)? as usize)
}

fn weights_message(weights: &Weights) -> pb::Weights {
    pb::Weights {
        coding: weights.coding,
        performance: weights.performance,
        value: weights.value,
    }
}

#[tonic::async_trait]
impl pb::rankings_service_server::RankingsService for RankingsApi {
    /// ListRankings as the generated server would answer it. The service as deployed answers it on
    /// [`list_rankings::RankingsRoutes`] instead, with pre-encoded bytes computed by the same
    /// [`RankingsApi::list_page`]; everything about ListRankings is in [`list_rankings`].
    async fn list_rankings(
        &self,
        request: Request<pb::ListRankingsRequest>,
    ) -> Result<Response<pb::ListRankingsResponse>, Status> {
        let listed = self.list_page(request.into_inner()).await?;
        Ok(Response::new(listed.render()))
    }

    async fn get_model(
        &self,
        request: Request<pb::GetModelRequest>,
    ) -> Result<Response<pb::GetModelResponse>, Status> {
        let request = request.into_inner();
        let as_of = request::date("as_of", &request.as_of)?;
        let (catalog, index, stale) = self.rankings.model(&request.model, as_of).await?;
        let entry = &catalog.entries[index];
        let reference = as_of.unwrap_or_else(today);
        Ok(Response::new(pb::GetModelResponse {
            model: Some(convert::model_info(entry)),
            aliases: entry
                .aliases
                .iter()
                .map(|alias| pb::ModelAlias {
                    source: alias.source.clone(),
                    alias: alias.alias.clone(),
                    model_id: alias.model_id.clone(),
                    created_at: Some(timestamp(alias.created_at)),
                })
                .collect(),
            scores: Some(convert::scores(
                &entry.components,
                entry.default_overall.map(|(score, _)| score),
                entry.coding_interval,
                scores::overall_range(&entry.components, entry.coding_error, &Weights::DEFAULT),
            )),
            components_used: convert::components_used(entry.default_overall.map(|(_, used)| used)),
            rank: entry
                .default_rank
                .map(|rank| i32::try_from(rank).unwrap_or(i32::MAX)),
            rank_best: entry
                .default_rank_range
                .map(|(best, _)| i32::try_from(best).unwrap_or(i32::MAX)),
            rank_worst: entry
                .default_rank_range
                .map(|(_, worst)| i32::try_from(worst).unwrap_or(i32::MAX)),
            metrics: entry.metrics.iter().map(convert::metric_value).collect(),
            price: convert::model_price(entry),
            prices: entry.prices.iter().map(convert::price).collect(),
            performance: entry.performance.as_ref().map(convert::performance),
            freshness: Some(convert::model_freshness(&entry.dates, reference)),
            sources: entry.sources.clone(),
            catalog_built_at: Some(timestamp(catalog.built_at)),
            catalog_stale: stale,
            as_of: date_text(Some(reference)),
            siblings: catalog
                .siblings(entry)
                .into_iter()
                .map(|sibling| pb::ModelRef {
                    id: sibling.model.id.clone(),
                    display_name: sibling.display_name.clone(),
                })
                .collect(),
            matches: entry
                .matches
                .iter()
                .map(|found| pb::ModelMatch {
                    source: found.source.clone(),
                    source_model_name: found.source_model_name.clone(),
                    method: found.method.clone(),
                    detail: found.detail.clone(),
                })
                .collect(),
            coding_benchmarks: i32::try_from(entry.coding_benchmarks).unwrap_or(i32::MAX),
        }))
    }

    async fn get_model_history(
        &self,
        request: Request<pb::GetModelHistoryRequest>,
    ) -> Result<Response<pb::GetModelHistoryResponse>, Status> {
        let request = request.into_inner();
        let selection = request::history_selection(&request)?;
        let (id, display_name, series) = self.rankings.history(&request.model, &selection).await?;
        Ok(Response::new(pb::GetModelHistoryResponse {
            model: Some(pb::ModelRef { id, display_name }),
            series: series
                .into_iter()
                .map(|series| pb::MetricSeries {
                    source: series.source,
                    category: series.category,
                    metric: series.metric,
                    unit: series.unit,
                    points: series
                        .points
                        .into_iter()
                        .map(|point| pb::HistoryPoint {
                            snapshot_date: date_text(Some(point.snapshot_date)),
                            value: point.value,
                            normalized: point.normalized,
                            ci_low: point.ci_low,
                            ci_high: point.ci_high,
                        })
                        .collect(),
                })
                .collect(),
        }))
    }

    async fn get_latest_model(
        &self,
        request: Request<pb::GetLatestModelRequest>,
    ) -> Result<Response<pb::GetLatestModelResponse>, Status> {
        let request = request.into_inner();
        let source = request.source.trim();
        let (catalog, index) = self
            .rankings
            .latest((!source.is_empty()).then_some(source))?;
        let entry = &catalog.entries[index];
        let days = age_days(entry.model.first_seen_at.date_naive(), today());
        Ok(Response::new(pb::GetLatestModelResponse {
            model: Some(convert::model_info(entry)),
            ingested_at: Some(timestamp(entry.model.first_seen_at)),
            days_ago: i32::try_from(days).unwrap_or(i32::MAX),
            display_label: latest_label(&entry.display_name, days),
            source: entry.first_source.clone().unwrap_or_default(),
        }))
    }

    type ExportRankingsStream = ResultStream<pb::ExportRankingsResponse>;

    async fn export_rankings(
        &self,
        request: Request<pb::ExportRankingsRequest>,
    ) -> Result<Response<Self::ExportRankingsStream>, Status> {
        let request = request.into_inner();
        let params = request::rankings_params(
            request.filter,
            &request.order_by,
            request.weights,
            &request.as_of,
            &request.compare_to,
            request.group_by_family,
        )?;
        let ranked = self.rankings.export(&params).await?;
        let chunks = CsvChunks::new(ranked.catalog, ranked.rows, ranked.as_of).map(|chunk| {
            Ok(pb::ExportRankingsResponse {
                data: chunk.data,
                row_count: i32::try_from(chunk.row_count).unwrap_or(i32::MAX),
            })
        });
        Ok(Response::new(Box::pin(futures::stream::iter(chunks))))
    }

    async fn list_benchmarks(
        &self,
        request: Request<pb::ListBenchmarksRequest>,
    ) -> Result<Response<pb::ListBenchmarksResponse>, Status> {
        let request = request.into_inner();
        let page_size = page_size(request.page_size)?;
        let source = request.source.trim();
        let page = self.rankings.benchmarks(
            (!source.is_empty()).then_some(source),
            page_size,
            &request.page_token,
        )?;
        Ok(Response::new(pb::ListBenchmarksResponse {
            categories: page
                .categories
                .iter()
                .map(|(name, metrics, model_count)| pb::BenchmarkCategory {
                    name: name.clone(),
                    metrics: metrics.iter().map(convert::benchmark_metric).collect(),
                    model_count: i32::try_from(*model_count).unwrap_or(i32::MAX),
                })
                .collect(),
            next_page_token: page.next_page_token,
            source_status: convert::source_statuses(&page.catalog),
            catalog_model_count: i32::try_from(page.catalog.entries.len()).unwrap_or(i32::MAX),
        }))
    }
}
