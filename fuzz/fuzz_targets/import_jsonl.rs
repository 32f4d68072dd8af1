//! Feeds arbitrary text to benchctl's JSONL case importer: it must answer a `Result`, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = benchhub_benchctl::commands::runner::parse_jsonl("fuzz.jsonl", text);
});
