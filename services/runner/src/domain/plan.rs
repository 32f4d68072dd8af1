//! One model of a run as resolved at creation: its provider, canonical id and price. Its own module
//! so that runs (which hold plans and their cost estimate) and estimates (computed from plans) do
//! not depend on each other.

use serde::{Deserialize, Serialize};

use crate::domain::pricing::Price;

/// One model of a run, resolved at creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelPlan {
    /// `provider/model` as requested.
    pub name: String,
    /// The provider part.
    pub provider: String,
    /// The model id sent to the provider.
    pub provider_model: String,
    /// Canonical catalog id, when the model resolves to one.
    #[serde(default)]
    pub canonical_id: Option<String>,
    /// Price used for costing, when known.
    #[serde(default)]
    pub price: Option<Price>,
}
