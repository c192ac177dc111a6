//! The examples' migration lists roll back: down to zero and up again gives the same schema,
//! and each step down gives the schema of applying only the migrations below it.

mod support;

#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

#[allow(dead_code)]
#[path = "../examples/axum_service.rs"]
mod axum_service;

#[allow(dead_code)]
#[path = "../examples/embedded_cli.rs"]
mod embedded_cli;

use support::rollback::{assert_each_step_equals_prefix, assert_round_trip};

#[tokio::test]
async fn quickstart_rolls_back() {
    assert_round_trip(&quickstart::MIGRATIONS).await;
    assert_each_step_equals_prefix(&quickstart::MIGRATIONS).await;
}

#[tokio::test]
async fn axum_service_rolls_back() {
    assert_round_trip(&axum_service::MIGRATIONS).await;
    assert_each_step_equals_prefix(&axum_service::MIGRATIONS).await;
}

#[tokio::test]
async fn embedded_cli_rolls_back() {
    assert_round_trip(&embedded_cli::MIGRATIONS).await;
    assert_each_step_equals_prefix(&embedded_cli::MIGRATIONS).await;
}
