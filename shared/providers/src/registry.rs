//! Resolves `provider/model` names to clients, configured from the environment and an optional TOML
//! file of extra OpenAI-compatible providers.
//!
//! Built in:
//!
//! | provider | API | key | base URL (default) |
//! |---|---|---|---|
//! | `openai` | OpenAI chat completions (`max_completion_tokens`) | `OPENAI_API_KEY` | `OPENAI_BASE_URL` (`https://api.openai.com`) |
//! | `anthropic` | Anthropic Messages | `ANTHROPIC_API_KEY` | `ANTHROPIC_BASE_URL` (`https://api.anthropic.com`) |
//! | `fake` | OpenAI chat completions | none | `BENCHHUB_FAKE_PROVIDER_URL` (no default) |
//!
//! `BENCHHUB_PROVIDERS` names a TOML file adding providers:
//!
//! ```toml
//! [[providers]]
//! name = "local"                      # lowercase letters, digits, '-' and '_'
//! base_url = "http://127.0.0.1:8000"  # a trailing /v1 is accepted
//! api_key_env = "LOCAL_LLM_KEY"       # optional: local servers need no key
//! max_concurrency = 8                 # optional
//! requests_per_minute = 600           # optional
//! api = "openai"                      # optional: "openai" (default) or "anthropic"
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use secrecy::SecretString;
use serde::Deserialize;

use crate::{
    Anthropic, FAKE_PROVIDER_URL_ENV, MaxTokensField, OpenAiCompatible, PROVIDERS_FILE_ENV,
    Provider,
};

/// Wire protocol of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ApiKind {
    /// OpenAI-compatible chat completions.
    #[serde(rename = "openai")]
    OpenAi,
    /// Anthropic Messages.
    #[serde(rename = "anthropic")]
    Anthropic,
}

/// Limits configured for a provider; the runner applies them per provider across runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProviderLimits {
    /// Most calls in flight at once; `None` leaves it to the caller's own limit.
    pub max_concurrency: Option<u32>,
    /// Most calls started per minute; `None` means no rate limit.
    pub requests_per_minute: Option<u32>,
}

/// How one provider is configured (never holds its key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    /// Name used as the `provider/` prefix of model names.
    pub name: String,
    /// Wire protocol.
    pub api: ApiKind,
    /// Base URL without a trailing `/` or `/v1`; empty when not configured.
    pub base_url: String,
    /// Environment variable holding the key; `None` when the provider needs none.
    pub api_key_env: Option<String>,
    /// Limits from the configuration.
    pub limits: ProviderLimits,
    /// True for `openai`, `anthropic` and `fake`.
    pub builtin: bool,
}

/// A bad configuration value; names the variable (and file) at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value for {variable}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault (for the TOML file: `BENCHHUB_PROVIDERS`).
    pub variable: String,
    /// What is wrong and what is allowed.
    pub reason: String,
}

/// Why a model name cannot be used. Checked before any call is made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The name is not `provider/model`.
    #[error("model '{name}' must be named provider/model, e.g. openai/gpt-4o-mini")]
    InvalidName {
        /// The name as given.
        name: String,
    },
    /// No provider of that name is configured.
    #[error("unknown provider '{provider}' in model '{name}'; known providers: {}", .known.join(", "))]
    UnknownProvider {
        /// The provider part of the name.
        provider: String,
        /// The model name as given.
        name: String,
        /// Every configured provider, sorted.
        known: Vec<String>,
    },
    /// The provider needs a key and its variable is unset or empty.
    #[error("provider '{provider}' needs an API key: set {env_var}")]
    MissingKey {
        /// The provider.
        provider: String,
        /// The variable to set.
        env_var: String,
    },
    /// The provider has no base URL (the `fake` provider without `BENCHHUB_FAKE_PROVIDER_URL`).
    #[error(
        "provider '{provider}' has no base url: set {env_var} (e.g. to the address of `benchctl fake-provider`)"
    )]
    NotConfigured {
        /// The provider.
        provider: String,
        /// The variable to set.
        env_var: String,
    },
}

/// A model name resolved to its provider's client.
#[derive(Clone)]
pub struct ResolvedModel {
    /// The full name as given, e.g. `openai/gpt-4o-mini`.
    pub name: String,
    /// The provider part, e.g. `openai`.
    pub provider_name: String,
    /// The model id sent to the provider, e.g. `gpt-4o-mini`.
    pub model: String,
    /// The client.
    pub provider: Arc<dyn Provider>,
    /// The provider's configured limits.
    pub limits: ProviderLimits,
}

impl std::fmt::Debug for ResolvedModel {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ResolvedModel")
            .field("name", &self.name)
            .field("provider_name", &self.provider_name)
            .field("model", &self.model)
            .field("limits", &self.limits)
            .finish()
    }
}

#[derive(Clone)]
enum EntryState {
    Ready(Arc<dyn Provider>),
    MissingKey(String),
    NotConfigured(String),
}

#[derive(Clone)]
struct Entry {
    settings: ProviderSettings,
    state: EntryState,
}

/// Every provider this process can call, by name.
#[derive(Clone, Default)]
pub struct ProviderRegistry {
    entries: BTreeMap<String, Entry>,
}

impl std::fmt::Debug for ProviderRegistry {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = formatter.debug_list();
        for entry in self.entries.values() {
            let state = match &entry.state {
                EntryState::Ready(_) => "ready".to_owned(),
                EntryState::MissingKey(variable) => format!("missing key ({variable})"),
                EntryState::NotConfigured(variable) => format!("not configured ({variable})"),
            };
            list.entry(&format_args!(
                "{} {:?} {} [{state}]",
                entry.settings.name, entry.settings.api, entry.settings.base_url
            ));
        }
        list.finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvidersFile {
    #[serde(default)]
    providers: Vec<ProviderEntryFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderEntryFile {
    name: String,
    base_url: String,
    api_key_env: Option<String>,
    max_concurrency: Option<u32>,
    requests_per_minute: Option<u32>,
    api: Option<ApiKind>,
}

const BUILTIN_NAMES: [&str; 3] = ["anthropic", "fake", "openai"];

/// Splits `provider/model` at the first `/`; both parts must be non-empty (the model part may hold
/// more slashes, e.g. `local/meta-llama/Llama-3.1-8B`).
pub fn split_model_name(name: &str) -> Option<(&str, &str)> {
    let (provider, model) = name.trim().split_once('/')?;
    if provider.is_empty() || model.is_empty() {
        return None;
    }
    Some((provider, model))
}

impl ProviderRegistry {
    /// Returns a registry with no providers (add some with [`ProviderRegistry::with_provider`]).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Builds the registry from the environment through `lookup` (the process environment in
    /// production; a closure in tests): the built-in providers plus the file named by
    /// `BENCHHUB_PROVIDERS`, read from disk.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let file = match non_empty(&lookup, PROVIDERS_FILE_ENV) {
            Some(path) => Some(std::fs::read_to_string(&path).map_err(|error| ConfigError {
                variable: PROVIDERS_FILE_ENV.to_owned(),
                reason: format!("cannot read the providers file '{path}': {error}"),
            })?),
            None => None,
        };
        Self::from_parts(lookup, file.as_deref())
    }

    /// Builds the registry from `lookup` and the text of a providers TOML file, if any.
    pub fn from_parts(
        lookup: impl Fn(&str) -> Option<String>,
        providers_toml: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let mut registry = Self::empty();

        let openai_base = base_url_from(&lookup, "OPENAI_BASE_URL", "https://api.openai.com")?;
        registry.insert_configured(
            ProviderSettings {
                name: "openai".to_owned(),
                api: ApiKind::OpenAi,
                base_url: openai_base,
                api_key_env: Some("OPENAI_API_KEY".to_owned()),
                limits: ProviderLimits::default(),
                builtin: true,
            },
            &lookup,
        )?;
        let anthropic_base =
            base_url_from(&lookup, "ANTHROPIC_BASE_URL", "https://api.anthropic.com")?;
        registry.insert_configured(
            ProviderSettings {
                name: "anthropic".to_owned(),
                api: ApiKind::Anthropic,
                base_url: anthropic_base,
                api_key_env: Some("ANTHROPIC_API_KEY".to_owned()),
                limits: ProviderLimits::default(),
                builtin: true,
            },
            &lookup,
        )?;
        let fake_base = match non_empty(&lookup, FAKE_PROVIDER_URL_ENV) {
            Some(text) => crate::http::normalize_base_url(&text).map_err(|reason| ConfigError {
                variable: FAKE_PROVIDER_URL_ENV.to_owned(),
                reason: format!("{reason}; expected http://host:port"),
            })?,
            None => String::new(),
        };
        registry.insert_configured(
            ProviderSettings {
                name: "fake".to_owned(),
                api: ApiKind::OpenAi,
                base_url: fake_base,
                api_key_env: None,
                limits: ProviderLimits::default(),
                builtin: true,
            },
            &lookup,
        )?;

        if let Some(text) = providers_toml {
            let file: ProvidersFile = toml::from_str(text).map_err(|error| ConfigError {
                variable: PROVIDERS_FILE_ENV.to_owned(),
                reason: format!("the providers file is not valid: {}", error.message()),
            })?;
            for (index, entry) in file.providers.into_iter().enumerate() {
                let settings = settings_from_file(index, entry)?;
                if registry.entries.contains_key(&settings.name) {
                    let reason = if BUILTIN_NAMES.contains(&settings.name.as_str()) {
                        format!(
                            "providers[{index}].name '{}' is built in; configure it with its environment variables or choose another name",
                            settings.name
                        )
                    } else {
                        format!(
                            "providers[{index}].name '{}' appears more than once",
                            settings.name
                        )
                    };
                    return Err(ConfigError {
                        variable: PROVIDERS_FILE_ENV.to_owned(),
                        reason,
                    });
                }
                registry.insert_configured(settings, &lookup)?;
            }
        }
        Ok(registry)
    }

    fn insert_configured(
        &mut self,
        settings: ProviderSettings,
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let key = settings
            .api_key_env
            .as_deref()
            .and_then(|variable| non_empty(lookup, variable))
            .map(SecretString::from);
        let state = if settings.base_url.is_empty() {
            EntryState::NotConfigured(FAKE_PROVIDER_URL_ENV.to_owned())
        } else if let (Some(variable), None) = (&settings.api_key_env, &key) {
            EntryState::MissingKey(variable.clone())
        } else {
            let client: Arc<dyn Provider> = match settings.api {
                ApiKind::OpenAi => {
                    let mut client =
                        OpenAiCompatible::new(settings.name.clone(), &settings.base_url, key)
                            .map_err(|reason| ConfigError {
                                variable: settings
                                    .api_key_env
                                    .clone()
                                    .unwrap_or_else(|| PROVIDERS_FILE_ENV.to_owned()),
                                reason,
                            })?;
                    if settings.builtin && settings.name == "openai" {
                        client = client.with_max_tokens_field(MaxTokensField::MaxCompletionTokens);
                    }
                    Arc::new(client)
                }
                ApiKind::Anthropic => Arc::new(
                    Anthropic::new(settings.name.clone(), &settings.base_url, key).map_err(
                        |reason| ConfigError {
                            variable: PROVIDERS_FILE_ENV.to_owned(),
                            reason,
                        },
                    )?,
                ),
            };
            EntryState::Ready(client)
        };
        self.entries
            .insert(settings.name.clone(), Entry { settings, state });
        Ok(())
    }

    /// Adds (or replaces) a provider backed by `provider`, e.g. a test double.
    pub fn with_provider(
        mut self,
        name: &str,
        provider: Arc<dyn Provider>,
        limits: ProviderLimits,
    ) -> Self {
        self.entries.insert(
            name.to_owned(),
            Entry {
                settings: ProviderSettings {
                    name: name.to_owned(),
                    api: ApiKind::OpenAi,
                    base_url: String::new(),
                    api_key_env: None,
                    limits,
                    builtin: false,
                },
                state: EntryState::Ready(provider),
            },
        );
        self
    }

    /// Returns every configured provider's name, sorted.
    pub fn names(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }

    /// Returns every provider's settings, sorted by name.
    pub fn providers(&self) -> impl Iterator<Item = &ProviderSettings> {
        self.entries.values().map(|entry| &entry.settings)
    }

    /// Returns one provider's settings.
    pub fn settings(&self, provider: &str) -> Option<&ProviderSettings> {
        self.entries.get(provider).map(|entry| &entry.settings)
    }

    /// Resolves `provider/model` to the provider's client, or says why it cannot be called (bad name,
    /// unknown provider with the known ones listed, missing key naming its variable).
    pub fn resolve(&self, name: &str) -> Result<ResolvedModel, ResolveError> {
        let (provider_name, model) =
            split_model_name(name).ok_or_else(|| ResolveError::InvalidName {
                name: name.to_owned(),
            })?;
        let entry =
            self.entries
                .get(provider_name)
                .ok_or_else(|| ResolveError::UnknownProvider {
                    provider: provider_name.to_owned(),
                    name: name.to_owned(),
                    known: self.names(),
                })?;
        match &entry.state {
            EntryState::Ready(provider) => Ok(ResolvedModel {
                name: name.trim().to_owned(),
                provider_name: provider_name.to_owned(),
                model: model.to_owned(),
                provider: Arc::clone(provider),
                limits: entry.settings.limits,
            }),
            EntryState::MissingKey(env_var) => Err(ResolveError::MissingKey {
                provider: provider_name.to_owned(),
                env_var: env_var.clone(),
            }),
            EntryState::NotConfigured(env_var) => Err(ResolveError::NotConfigured {
                provider: provider_name.to_owned(),
                env_var: env_var.clone(),
            }),
        }
    }
}

fn non_empty(lookup: &impl Fn(&str) -> Option<String>, variable: &str) -> Option<String> {
    lookup(variable).filter(|value| !value.trim().is_empty())
}

fn base_url_from(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &str,
    default: &str,
) -> Result<String, ConfigError> {
    match non_empty(lookup, variable) {
        Some(text) => crate::http::normalize_base_url(&text).map_err(|reason| ConfigError {
            variable: variable.to_owned(),
            reason: format!("{reason}; expected scheme://host[:port]"),
        }),
        None => Ok(default.to_owned()),
    }
}

fn settings_from_file(
    index: usize,
    entry: ProviderEntryFile,
) -> Result<ProviderSettings, ConfigError> {
    let invalid = |reason: String| ConfigError {
        variable: PROVIDERS_FILE_ENV.to_owned(),
        reason,
    };
    let name = entry.name.trim().to_owned();
    let valid_name = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|character| {
            character.is_ascii_lowercase()
                || character.is_ascii_digit()
                || character == '-'
                || character == '_'
        });
    if !valid_name {
        return Err(invalid(format!(
            "providers[{index}].name '{name}' must be 1–64 lowercase letters, digits, '-' or '_'"
        )));
    }
    let base_url = crate::http::normalize_base_url(&entry.base_url).map_err(|reason| {
        invalid(format!(
            "providers[{index}].base_url: {reason}; expected scheme://host[:port]"
        ))
    })?;
    let api_key_env = entry
        .api_key_env
        .map(|variable| variable.trim().to_owned())
        .filter(|variable| !variable.is_empty());
    if entry.max_concurrency == Some(0) {
        return Err(invalid(format!(
            "providers[{index}].max_concurrency must be at least 1"
        )));
    }
    if entry.requests_per_minute == Some(0) {
        return Err(invalid(format!(
            "providers[{index}].requests_per_minute must be at least 1"
        )));
    }
    Ok(ProviderSettings {
        name,
        api: entry.api.unwrap_or(ApiKind::OpenAi),
        base_url,
        api_key_env,
        limits: ProviderLimits {
            max_concurrency: entry.max_concurrency,
            requests_per_minute: entry.requests_per_minute,
        },
        builtin: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup_from(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn builtins_exist_and_missing_keys_name_their_variable() {
        let registry = ProviderRegistry::from_parts(|_| None, None).expect("valid");
        assert_eq!(registry.names(), vec!["anthropic", "fake", "openai"]);
        let error = registry.resolve("openai/gpt-4o-mini").expect_err("no key");
        assert_eq!(
            error.to_string(),
            "provider 'openai' needs an API key: set OPENAI_API_KEY"
        );
        let error = registry.resolve("anthropic/claude").expect_err("no key");
        assert!(error.to_string().contains("ANTHROPIC_API_KEY"), "{error}");
        let error = registry.resolve("fake/good").expect_err("no url");
        assert!(
            error.to_string().contains("BENCHHUB_FAKE_PROVIDER_URL"),
            "{error}"
        );
    }

    #[test]
    fn unknown_provider_lists_the_known_ones() {
        let registry = ProviderRegistry::from_parts(|_| None, None).expect("valid");
        let error = registry.resolve("mistral/large").expect_err("unknown");
        assert_eq!(
            error.to_string(),
            "unknown provider 'mistral' in model 'mistral/large'; known providers: anthropic, fake, openai"
        );
        assert!(matches!(
            registry.resolve("gpt-4o"),
            Err(ResolveError::InvalidName { .. })
        ));
        assert!(matches!(
            registry.resolve("openai/"),
            Err(ResolveError::InvalidName { .. })
        ));
    }

    #[test]
    fn keys_and_base_urls_come_from_the_lookup() {
        let registry = ProviderRegistry::from_parts(
            lookup_from(&[
                ("OPENAI_API_KEY", "sk-abc"),
                ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
                ("BENCHHUB_FAKE_PROVIDER_URL", "http://127.0.0.1:7"),
            ]),
            None,
        )
        .expect("valid");
        let resolved = registry.resolve("openai/gpt-4o-mini").expect("resolves");
        assert_eq!(resolved.model, "gpt-4o-mini");
        assert_eq!(resolved.provider_name, "openai");
        assert_eq!(
            registry.settings("openai").expect("openai").base_url,
            "http://127.0.0.1:9"
        );
        let fake = registry.resolve("fake/judge").expect("fake resolves");
        assert_eq!(fake.provider.name(), "fake");
        assert!(!format!("{registry:?}").contains("sk-abc"));
        assert!(!format!("{resolved:?}").contains("sk-abc"));
    }

    #[test]
    fn model_part_may_contain_slashes() {
        assert_eq!(
            split_model_name("local/meta-llama/Llama-3.1-8B"),
            Some(("local", "meta-llama/Llama-3.1-8B"))
        );
    }

    #[test]
    fn toml_file_adds_providers_with_limits() {
        let text = r#"
            [[providers]]
            name = "local"
            base_url = "http://127.0.0.1:8000/v1"
            max_concurrency = 4
            requests_per_minute = 120

            [[providers]]
            name = "together"
            base_url = "https://api.together.xyz"
            api_key_env = "TOGETHER_API_KEY"
        "#;
        let registry = ProviderRegistry::from_parts(|_| None, Some(text)).expect("valid");
        let local = registry.resolve("local/llama3").expect("no key needed");
        assert_eq!(
            local.limits,
            ProviderLimits {
                max_concurrency: Some(4),
                requests_per_minute: Some(120)
            }
        );
        let error = registry.resolve("together/mixtral").expect_err("no key");
        assert!(error.to_string().contains("TOGETHER_API_KEY"), "{error}");
    }

    #[test]
    fn bad_toml_entries_are_named() {
        let check = |text: &str, expected: &str| {
            let error = ProviderRegistry::from_parts(|_| None, Some(text)).expect_err(text);
            assert_eq!(error.variable, "BENCHHUB_PROVIDERS");
            assert!(error.reason.contains(expected), "{}", error.reason);
        };
        check(
            "[[providers]]\nname = \"openai\"\nbase_url = \"http://x\"",
            "is built in",
        );
        check(
            "[[providers]]\nname = \"a\"\nbase_url = \"http://x\"\n[[providers]]\nname = \"a\"\nbase_url = \"http://y\"",
            "more than once",
        );
        check(
            "[[providers]]\nname = \"Bad Name\"\nbase_url = \"http://x\"",
            "providers[0].name",
        );
        check(
            "[[providers]]\nname = \"a\"\nbase_url = \"ftp://x\"",
            "providers[0].base_url",
        );
        check(
            "[[providers]]\nname = \"a\"\nbase_url = \"http://x\"\nmax_concurrency = 0",
            "max_concurrency",
        );
        check(
            "[[providers]]\nname = \"a\"\nbase_url = \"http://x\"\ncolour = \"red\"",
            "not valid",
        );
    }

    #[test]
    fn bad_env_base_url_names_the_variable() {
        let error =
            ProviderRegistry::from_parts(lookup_from(&[("ANTHROPIC_BASE_URL", "nope")]), None)
                .expect_err("invalid");
        assert_eq!(error.variable, "ANTHROPIC_BASE_URL");
    }

    #[test]
    fn missing_providers_file_names_the_variable_and_path() {
        let error = ProviderRegistry::from_env(lookup_from(&[(
            "BENCHHUB_PROVIDERS",
            "/nonexistent/benchhub-providers.toml",
        )]))
        .expect_err("missing file");
        assert_eq!(error.variable, "BENCHHUB_PROVIDERS");
        assert!(
            error
                .reason
                .contains("/nonexistent/benchhub-providers.toml")
        );
    }
}
