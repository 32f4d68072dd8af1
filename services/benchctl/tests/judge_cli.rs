//! `benchctl judge score|compare|rank` against a real judge service (in process, over TCP, on a fresh
//! database) whose LLM judge is the fake provider over HTTP.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

use std::path::PathBuf;
use std::time::Duration;

use benchhub_benchctl::client::{Clients, Endpoints};
use benchhub_benchctl::commands::judge::{
    self, CompareArgs, RankArgs, ScoreArgs, compare_rows, rank_rows, score_rows,
};
use benchhub_fake_provider::{FakeConfig, JudgeStyle, ModelBehavior};
use benchhub_providers::ProviderRegistry;
use benchhub_testkit::{TestDb, TestServer};

const ADMIN: &str = "benchctl-judge-admin-token-0123456789";

struct Bed {
    _db: TestDb,
    _fake: benchhub_fake_provider::FakeProviderHandle,
    judge: TestServer,
    dir: PathBuf,
}

async fn bed(name: &str) -> Bed {
    let db = TestDb::new().await.expect("test database");
    let (_, fake) = benchhub_fake_provider::spawn(
        FakeConfig::new().with_model("judge", ModelBehavior::judge(JudgeStyle::WellFormed)),
    )
    .await
    .expect("fake provider");
    let url = fake.url();
    let mut config = benchhub_judge::Config::for_tests(&db.url);
    config.common.admin_token = Some(ADMIN.to_owned().into());
    config.providers = ProviderRegistry::from_parts(
        move |variable| (variable == "BENCHHUB_FAKE_PROVIDER_URL").then(|| url.clone()),
        None,
    )
    .expect("registry");
    let judge =
        TestServer::start(|listener, shutdown| benchhub_judge::run(config, listener, shutdown))
            .await
            .expect("judge");
    judge
        .wait_serving(Duration::from_secs(30))
        .await
        .expect("judge serving");
    let dir = std::env::temp_dir().join(format!("benchctl-judge-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    Bed {
        _db: db,
        _fake: fake,
        judge,
        dir,
    }
}

fn clients(bed: &Bed) -> Clients {
    let unused = "http://127.0.0.1:9".to_owned();
    Clients::new(Endpoints {
        ingest: unused.clone(),
        rankings: unused.clone(),
        runner: unused,
        judge: bed.judge.url.clone(),
        token: Some(ADMIN.to_owned()),
    })
    .expect("clients")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn score_grades_a_file_with_its_rows_expectations() {
    let bed = bed("score").await;
    let file = bed.dir.join("outputs.jsonl");
    std::fs::write(
        &file,
        concat!(
            "{\"id\": \"add\", \"input\": \"2+2?\", \"output\": \"4\", \"expected\": 4}\n",
            "{\"id\": \"mul\", \"input\": \"2*3?\", \"output\": \"5\", \"expected\": 6}\n",
            "{\"id\": \"capital\", \"input\": \"Capital of France?\", \"output\": \"Paris is the capital\", \"expected\": \"Paris is the capital\", \"grader\": \"llm_rubric\"}\n",
            "{\"id\": \"digits\", \"input\": \"A number\", \"output\": \"abc\", \"grader\": {\"kind\": \"regex\", \"pattern\": \"^\\\\d+$\"}}\n",
        ),
    )
    .expect("write");
    let args = ScoreArgs {
        file: file.clone(),
        format: None,
        grader: "exact".to_owned(),
        judge_model: Some("fake/judge".to_owned()),
        concurrency: 4,
        json: false,
    };
    let results = score_rows(&clients(&bed), &args, false)
        .await
        .expect("scored");
    let labels: Vec<&str> = results.iter().map(|(label, _)| label.as_str()).collect();
    assert_eq!(labels, ["add", "mul", "capital", "digits"]);
    let passed: Vec<Option<bool>> = results.iter().map(|(_, result)| result.passed).collect();
    assert_eq!(passed, [Some(true), Some(false), Some(true), Some(false)]);
    let capital = &results[2].1;
    assert_eq!(capital.score, Some(100.0));
    assert_eq!(capital.judge_model, "fake/judge");
    assert!(capital.judge_input_tokens > 0 && capital.judge_output_tokens > 0);
    let summary = judge::summarize_scores(&results);
    let line = judge::score_summary_line(&summary);
    assert!(
        line.contains("pass rate 2/4 = 50.0% (95% CI 15.0–85.0%, Wilson)"),
        "{line}"
    );
    assert!(line.contains("judge tokens"), "{line}");
    let table = judge::score_table(&results).to_string();
    assert!(
        table.contains("capital") && table.contains("llm_rubric"),
        "{table}"
    );

    // A row the service refuses fails the command with the service's message and the row it came from.
    std::fs::write(
        &file,
        "{\"input\": \"x\", \"output\": \"y\", \"grader\": {\"kind\": \"regex\", \"pattern\": \"(\"}}\n",
    )
    .expect("write");
    let error = score_rows(&clients(&bed), &args, false)
        .await
        .expect_err("invalid regex");
    let message = format!("{error:#}");
    assert!(message.contains("InvalidArgument"), "{message}");
    assert!(
        message.contains("items[0].grader.regex.pattern"),
        "{message}"
    );
    assert!(message.contains("outputs.jsonl:1"), "{message}");
    let _ = std::fs::remove_dir_all(&bed.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_then_rank_names_a_winner_only_with_evidence() {
    let bed = bed("compare").await;
    let pairs = bed.dir.join("pairs.csv");
    // x answers like the reference in every row, y never; every third row lists y first.
    let mut csv = String::from("id,input,model_a,model_b,output_a,output_b,expected\n");
    for index in 0..12 {
        let good = format!("the answer is {index} apples");
        let bad = "no idea at all".to_owned();
        if index % 3 == 0 {
            csv.push_str(&format!(
                "q{index},question {index},y,x,{bad},{good},{good}\n"
            ));
        } else {
            csv.push_str(&format!(
                "q{index},question {index},x,y,{good},{bad},{good}\n"
            ));
        }
    }
    std::fs::write(&pairs, csv).expect("write");
    let verdicts = bed.dir.join("verdicts.jsonl");
    let args = CompareArgs {
        file: pairs,
        format: None,
        judge_model: Some("fake/judge".to_owned()),
        rubric: None,
        concurrency: 4,
        verdicts_out: Some(verdicts.clone()),
        json: false,
    };
    let judged = compare_rows(&clients(&bed), &args, false)
        .await
        .expect("judged");
    assert_eq!(judged.len(), 12);
    assert_eq!(judged[0].row, "q0");
    let tallies = judge::tally(&judged);
    assert_eq!(tallies.len(), 1);
    let pair = &tallies[0];
    assert_eq!((pair.first.as_str(), pair.second.as_str()), ("x", "y"));
    assert_eq!((pair.first_wins, pair.second_wins), (12, 0));
    // Sign test by hand: 2 / 2^12.
    assert!(
        (pair.p_value - 2.0 / 4096.0).abs() < 1e-12,
        "{}",
        pair.p_value
    );
    assert_eq!(pair.verdict(), "x better");
    let table = judge::tally_table(&tallies).to_string();
    assert!(
        table.contains("12–0") && table.contains("x better"),
        "{table}"
    );
    std::fs::write(&verdicts, judge::verdict_lines(&judged)).expect("verdicts");

    let ranked = rank_rows(
        &clients(&bed),
        &RankArgs {
            file: verdicts,
            format: None,
            bootstrap: 200,
            seed: 7,
            json: false,
        },
    )
    .await
    .expect("ranked");
    assert_eq!(ranked.games, 12);
    assert_eq!(ranked.ratings[0].model, "x");
    assert_eq!(ranked.ratings[0].wins, 12);
    assert!(ranked.regularized, "y never won");
    let line = judge::leader_line(&ranked);
    assert!(line.starts_with("#1 x"), "{line}");
    let table = judge::rank_table(&ranked).to_string();
    assert!(table.contains("12/0/0"), "{table}");
    let _ = std::fs::remove_dir_all(&bed.dir);
}
