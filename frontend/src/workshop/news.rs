//! What the instructor tells an attendee: broadcasts as banners (newest on top, each dismissable)
//! and, after a reset, what was removed. The banners are pinned to the bottom of the window, so
//! they stay in view wherever the attendee has scrolled to, until dismissed.

use super::seat::Seat;
use crate::text::place::data_folder;
use leptos::prelude::*;
use shared::workshop::ResetReport;

/// The banners and the reset notice.
#[component]
pub fn Notices() -> impl IntoView {
    let seat = expect_context::<Seat>();
    view! {
        <div class="notices" aria-live="polite">
            <div class="broadcasts" data-testid="broadcasts">
            <For each=move || seat.broadcasts.get() key=|b| b.id let:banner>
                <div class="broadcast" role="status" data-testid="broadcast-banner">
                    <span class="from">"From the instructor: "</span>
                    <span data-testid="broadcast-message">{banner.message}</span>
                    <button
                        class="dismiss"
                        data-testid="broadcast-dismiss"
                        title="dismiss"
                        on:click=move |_| seat.broadcasts.update(|all| all.retain(|b| b.id != banner.id))
                    >"×"</button>
                </div>
            </For>
            </div>
            {move || seat.was_reset.get().map(|report| view! { <ResetNotice report/> })}
        </div>
    }
}

#[component]
fn ResetNotice(report: ResetReport) -> impl IntoView {
    let seat = expect_context::<Seat>();
    view! {
        <div class="reset-notice" role="alert" data-testid="reset-notice">
            <p>
                <strong>"The instructor reset your work."</strong>
                " Your progress starts over; what you had is gone:"
            </p>
            <ul>{removed_lines(&report).into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
            <button data-testid="reset-dismiss" on:click=move |_| seat.was_reset.set(None)>"OK"</button>
        </div>
    }
}

/// A reset report as lines: what kind, then the names.
pub fn removed_lines(report: &ResetReport) -> Vec<String> {
    let list = |what: &str, names: &[String]| match names {
        [] => format!("{what}: none"),
        names => format!("{what}: {}", names.join(", ")),
    };
    vec![
        list("topics", &report.topics),
        list("subjects", &report.subjects),
        list(
            "data folders",
            &report
                .folders
                .iter()
                .map(|f| data_folder(f))
                .collect::<Vec<_>>(),
        ),
        format!("jobs stopped: {}", report.jobs_stopped),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::workshop::AttendeeName;

    #[test]
    fn a_reset_lists_each_kind() {
        let report = ResetReport {
            name: AttendeeName::new("ada").unwrap_or_else(|e| panic!("{e}")),
            topics: vec!["ada.clicks-avro".into(), "ada.t".into()],
            subjects: vec![],
            folders: vec![
                "stream/ada.clicks-avro".into(),
                "/srv/kd/data/batch/ada.clicks-avro-1".into(),
            ],
            jobs_stopped: 1,
        };
        assert_eq!(
            removed_lines(&report),
            [
                "topics: ada.clicks-avro, ada.t",
                "subjects: none",
                "data folders: stream/ada.clicks-avro, batch/ada.clicks-avro-1",
                "jobs stopped: 1"
            ]
        );
    }
}
