//! The behaviour every `Store` shares, written once over `Arc<dyn Store>`
//! and instantiated for each implementation with [`conformance_suite!`].
//! Each case gets a fresh, empty store.

mod bots;
mod records;
mod trading;

pub use bots::*;
pub use records::*;
pub use trading::*;

/// Generates one `#[tokio::test]` per conformance case, each on a fresh
/// store from `$fixture` (an `async fn() -> Option<common::Fixture>`; `None`
/// skips).
macro_rules! conformance_suite {
    ($fixture:path) => {
        conformance_suite!(@cases $fixture;
            users_are_unique_by_name_and_found_by_id_and_name,
            credentials_are_ciphertext_replaced_read_and_deleted,
            risk_settings_default_until_saved,
            templates_are_inserted_replaced_and_listed_by_id,
            created_bot_holds_nothing_and_round_trips_its_settings,
            decimals_are_stored_exactly,
            guarded_start_refuses_the_bot_over_the_limit,
            guarded_start_refuses_a_symbol_held_by_another_bot_of_the_user,
            guarded_start_refuses_allocations_above_the_balance,
            guarded_start_refuses_unknown_users_and_templates,
            activation_applies_the_start_rules_to_created_and_stopped_bots,
            only_a_created_bot_can_be_deleted_and_it_frees_nothing_it_never_held,
            a_bots_settings_change_but_never_its_symbol_or_kind,
            status_changes_cannot_bypass_the_guarded_start,
            a_stop_racing_a_status_change_always_ends_stopped,
            stats_and_engine_state_round_trip,
            bots_are_listed_newest_first_and_filtered_by_status,
            orders_are_upserted_by_client_id_and_read_oldest_first,
            an_order_batch_naming_an_unknown_bot_writes_nothing,
            fill_insert_is_idempotent_by_fill_id,
            a_fill_batch_naming_an_unknown_bot_writes_nothing,
            a_large_fill_batch_spans_statements_and_counts_only_new_fills,
            a_large_order_batch_spans_statements_and_keeps_first_positions,
            fills_come_back_oldest_first_limited_to_the_newest,
            equity_curve_is_oldest_first_limited_to_the_newest,
            summary_totals_pnl_allocations_and_counts,
            advisor_cache_answers_until_expiry,
            audit_events_come_back_newest_first_per_user,
            leases_are_exclusive_until_they_expire,
            one_of_many_racing_runners_gets_a_free_lease,
        );
    };
    (@cases $fixture:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                if let Some(fx) = $fixture().await {
                    conformance::$case(fx.store.clone()).await;
                    fx.finish().await;
                }
            }
        )*
    };
}
