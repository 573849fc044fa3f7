//! A finished batch job drawn: totals, clicks per minute as bars over time, the top creatives
//! as horizontal bars, the tables, and the poison pills by position.

use super::chart::{bars, ticks};
use crate::export::{download, file_part, ChartExport};
use crate::text::count::{money, thousands};
use crate::text::place::shown_place;
use crate::widgets::GridLines;
use crate::workshop::answer::UseAsAnswer;
use crate::ws::Bridge;
use leptos::prelude::*;
use shared::batch::{BatchReport, Group, Minute, SchemaUse};
use shared::workshop::Step;

/// Width and height of the time-series chart's plot, in view-box units.
const PLOT: (f64, f64) = (640.0, 160.0);
/// Room left of the plot for the axis labels.
const AXIS: f64 = 44.0;
/// Poison pills listed in the page (the Parquet table holds them all).
const PILLS_SHOWN: usize = 100;

/// An instant as `HH:MM` UTC, or a date-time when `long`.
pub(crate) fn clock(ms: i64, long: bool) -> String {
    let iso = shared::decode::instant(ms, 1_000, "Z");
    if long {
        iso.replace('T', " ").trim_end_matches(".000Z").to_owned() + " UTC"
    } else {
        iso.get(11..16).unwrap_or_default().to_owned()
    }
}

/// One writer schema's line: records framed with its id, those that decoded and the poison
/// pills among them (`None` where the report does not say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WriterLine {
    pub schema_id: u32,
    pub framed: u64,
    pub decoded: Option<u64>,
    pub pills: Option<u64>,
    pub status: String,
}

/// The writer schemas as lines whose numbers agree with the totals: a pill naming an id (its body
/// does not decode with it, or the id is unknown) is counted as a pill, not as decoded.
pub(crate) fn writer_lines(report: &BatchReport) -> Vec<WriterLine> {
    let decoding: Vec<u32> = report
        .schemas
        .iter()
        .filter(|s| s.status == "decoded")
        .map(|s| s.schema_id)
        .collect();
    let body_pills = |id: u32| -> Option<u64> {
        if report.poison_complete {
            let named = format!("schema id {id}");
            let n = report
                .poison
                .iter()
                .filter(|p| p.reason != "unknown_schema_id" && p.detail.ends_with(&named))
                .count();
            return Some(n as u64);
        }
        // Only one id decodes: every body that did not decode was framed with it.
        (decoding.len() == 1).then(|| {
            ["undecodable", "unusable_schema"]
                .iter()
                .filter_map(|r| report.poison_counts.get(*r))
                .sum()
        })
    };
    report
        .schemas
        .iter()
        .map(|s: &SchemaUse| {
            let pills = if s.status == "decoded" {
                body_pills(s.schema_id).map(|n| n.min(s.records))
            } else {
                Some(s.records)
            };
            WriterLine {
                schema_id: s.schema_id,
                framed: s.records,
                decoded: pills.map(|p| s.records - p),
                pills,
                status: s.status.clone(),
            }
        })
        .collect()
}

/// The whole report.
#[component]
pub fn Report(
    /// What the job found.
    report: BatchReport,
) -> impl IntoView {
    let t = report.totals.clone();
    let span = match (t.first_event_ms, t.last_event_ms) {
        (Some(a), Some(b)) => format!("{} → {}", clock(a, true), clock(b, true)),
        _ => "—".into(),
    };
    let empty = report.records_read == 0;
    let workshop = use_context::<Bridge>()
        .and_then(|b| b.welcome().get_untracked())
        .is_none_or(|w| w.workshop);
    let output = report.output.clone();
    let output_words = output
        .as_deref()
        .map_or_else(|| "—".to_owned(), |p| shown_place("batch", p, workshop));
    // Outside workshop mode the location is the reader's own to open: the URI helps.
    let output_title = output.filter(|_| !workshop).unwrap_or_default();
    let writers = writer_lines(&report);
    let csv_text = super::export::csv(&report);
    let csv_name = format!("batch-{}.csv", file_part(&report.topic));
    let chart_name = format!("batch-{}-per-minute", file_part(&report.topic));
    view! {
        <div class="batch-report" data-testid="batch-report">
            {empty.then(|| view! {
                <p class="hint" data-testid="batch-empty">"No records in that range: nothing to aggregate."</p>
            })}
            <dl class="stats counters">
                <dt>"records read"</dt><dd data-testid="batch-records-read">{thousands(report.records_read)}</dd>
                <dt>"clicks decoded"</dt><dd data-testid="batch-total-clicks">{thousands(t.clicks)}</dd>
                <dt>"cost"</dt><dd data-testid="batch-total-cost">{money(t.cost_cents)}</dd>
                <dt>"users (approx.)"</dt><dd data-testid="batch-users">{thousands(t.approx_users)}</dd>
                <dt>"poison pills"</dt><dd data-testid="batch-poison-total">{thousands(report.poison_total())}</dd>
                <dt>"event time"</dt><dd>{span}</dd>
                <dt>"took"</dt><dd data-testid="batch-elapsed">{format!("{:.1} s", report.elapsed_secs)}</dd>
                <dt>"Parquet"</dt><dd data-testid="batch-output" title=output_title>{output_words}</dd>
            </dl>
            <p class="row export">
                "download the aggregates "
                <button class="small" data-testid="batch-export-csv" on:click=move |_| download(&csv_name, "text/csv", &csv_text)>"CSV"</button>
            </p>
            <div class="columns">
                <div class="column">
                    <h3>"Clicks per minute " <ChartExport selector="[data-testid=batch-minute-chart]" name=Signal::stored(chart_name)/></h3>
                    <MinuteChart minutes=report.per_minute.clone()/>
                    <h3>"Top creatives by clicks"</h3>
                    <TopBars groups=report.top_by_clicks.clone()/>
                    {report.top_by_clicks.first().map(|top| view! {
                        <UseAsAnswer step=Step::Batch value=top.key.clone() testid="batch-use-answer"/>
                    })}
                </div>
                <div class="column">
                    <h3>"Top creatives by cost"</h3>
                    <GroupTable groups=report.top_by_cost.clone() testid="batch-top-cost"/>
                    <h3>"Placements"</h3>
                    <GroupTable groups=report.per_placement.iter().take(10).cloned().collect() testid="batch-placements"/>
                </div>
            </div>
            <div class="columns">
                <div class="column">
                    <h3>"Null rates"</h3>
                    <table class="plain" data-testid="batch-null-rates">
                        <thead><tr><th>"field"</th><th>"nulls"</th><th>"rate"</th></tr></thead>
                        <tbody>
                            {report.null_rates.iter().map(|n| view! {
                                <tr><td>{n.field.clone()}</td><td>{thousands(n.nulls)}</td><td>{format!("{:.1}%", n.rate * 100.0)}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <h3>"Writer schemas"</h3>
                    <table class="plain" data-testid="batch-schemas">
                        <thead><tr><th>"schema id"</th><th>"framed"</th><th>"decoded"</th><th>"poison pills"</th><th>"status"</th></tr></thead>
                        <tbody>
                            {writers.into_iter().map(|w| {
                                let unknown = || "—".to_owned();
                                view! {
                                    <tr data-schema-id=w.schema_id>
                                        <td>{w.schema_id}</td>
                                        <td>{thousands(w.framed)}</td>
                                        <td data-testid="batch-schema-decoded">{w.decoded.map_or_else(unknown, thousands)}</td>
                                        <td data-testid="batch-schema-pills">{w.pills.map_or_else(unknown, thousands)}</td>
                                        <td>{w.status}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <div class="column">
                    <h3>"Poison pills"</h3>
                    <Pills report=report.clone()/>
                </div>
            </div>
        </div>
    }
}

/// Clicks per minute of event time, as bars over time with a labelled axis.
#[component]
fn MinuteChart(minutes: Vec<Minute>) -> impl IntoView {
    let values: Vec<u64> = minutes.iter().map(|m| m.clicks).collect();
    let total: u64 = values.iter().sum();
    let (top, marks) = ticks(values.iter().copied().max().unwrap_or(0));
    let (w, h) = PLOT;
    let count = minutes.len();
    let laid = bars(&values, top, w, h);
    let first = minutes
        .first()
        .map(|m| clock(m.minute_ms, false))
        .unwrap_or_default();
    let last = minutes
        .last()
        .map(|m| clock(m.minute_ms, false))
        .unwrap_or_default();
    view! {
        <svg
            class="chart"
            data-testid="batch-minute-chart"
            data-minutes=count
            data-total=total
            viewBox=format!("0 -10 {} {}", w + AXIS, h + 32.0)
            role="img"
            aria-label=format!("clicks per minute, {count} minutes, {} clicks", thousands(total))
        >
            <GridLines marks=marks top=top left=AXIS width=w height=h/>
            {laid.into_iter().zip(minutes).map(|(b, m)| view! {
                <rect class="bar" x=b.x + AXIS y=b.y width=b.width.max(0.5) height=b.height>
                    <title>{format!("{} — {} clicks, cost {}", clock(m.minute_ms, true), thousands(m.clicks), money(m.cost_cents))}</title>
                </rect>
            }).collect_view()}
            <text class="tick" x=AXIS y=h + 16.0>{first}</text>
            <text class="tick" x=w + AXIS y=h + 16.0 text-anchor="end">{last}</text>
        </svg>
    }
}

/// Groups as horizontal bars, longest first.
#[component]
fn TopBars(groups: Vec<Group>) -> impl IntoView {
    let max = groups.iter().map(|g| g.clicks).max().unwrap_or(0).max(1);
    view! {
        <div class="hbars" data-testid="batch-top-clicks">
            {groups.into_iter().map(|g| {
                let width = g.clicks as f64 * 100.0 / max as f64;
                view! {
                    <div class="hbar" data-testid="batch-top-row" data-key=g.key.clone() data-clicks=g.clicks>
                        <span class="label">{g.key.clone()}</span>
                        <span class="track"><span class="fill" style=format!("width: {width:.1}%")></span></span>
                        <span class="value">{thousands(g.clicks)}</span>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

/// Groups as a table of clicks and cost.
#[component]
fn GroupTable(groups: Vec<Group>, testid: &'static str) -> impl IntoView {
    view! {
        <table class="plain" data-testid=testid>
            <thead><tr><th>"id"</th><th>"clicks"</th><th>"cost"</th></tr></thead>
            <tbody>
                {groups.into_iter().map(|g| view! {
                    <tr><td>{g.key}</td><td>{thousands(g.clicks)}</td><td>{money(g.cost_cents)}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Counts by reason, then the first pills by position.
#[component]
fn Pills(report: BatchReport) -> impl IntoView {
    let total = report.poison_total();
    let listed = report.poison.len();
    view! {
        <ul class="plain" data-testid="batch-poison-counts">
            {report.poison_counts.iter().map(|(reason, n)| view! { <li>{format!("{reason}: {}", thousands(*n))}</li> }).collect_view()}
        </ul>
        <div class="scroll">
        <table class="plain" data-testid="batch-poison">
            <thead><tr><th>"partition"</th><th>"offset"</th><th>"reason"</th><th>"detail"</th></tr></thead>
            <tbody>
                {report.poison.into_iter().take(PILLS_SHOWN).map(|p| view! {
                    <tr data-testid="batch-pill"><td>{p.partition}</td><td>{p.offset}</td><td>{p.reason}</td><td>{p.detail}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
        {(listed as u64 != total || listed > PILLS_SHOWN).then(|| view! {
            <p class="hint">{format!("{} of {} listed here; the Parquet table holds every listed pill.", thousands(listed.min(PILLS_SHOWN) as u64), thousands(total))}</p>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(complete: bool) -> BatchReport {
        let mut r = BatchReport::empty("t".into(), vec![]);
        let pill = |offset, reason: &str, detail: &str| shared::batch::Pill {
            partition: 0,
            offset,
            reason: reason.into(),
            detail: detail.into(),
        };
        r.schemas = vec![
            SchemaUse {
                schema_id: 1,
                records: 9_930,
                status: "decoded".into(),
            },
            SchemaUse {
                schema_id: 7,
                records: 3,
                status: "unknown to the registry".into(),
            },
        ];
        r.poison = (0..40)
            .map(|i| pill(i, "undecodable", "body does not decode with schema id 1"))
            .chain([pill(
                50,
                "unknown_schema_id",
                "schema id 7 is not known to the registry",
            )])
            .collect();
        r.poison_counts = [
            ("undecodable".to_owned(), 40),
            ("unknown_schema_id".to_owned(), 3),
        ]
        .into();
        r.poison_complete = complete;
        r
    }

    #[test]
    fn a_writers_decoded_count_leaves_out_the_pills_naming_it() {
        let lines = writer_lines(&report(true));
        assert_eq!(
            (lines[0].framed, lines[0].decoded, lines[0].pills),
            (9_930, Some(9_890), Some(40))
        );
        assert_eq!((lines[1].decoded, lines[1].pills), (Some(0), Some(3)));
        // Pills not all listed: with one decoding id, the body pills are all its own.
        let lines = writer_lines(&report(false));
        assert_eq!(lines[0].decoded, Some(9_890));
        let mut two = report(false);
        two.schemas[1].status = "decoded".into();
        assert_eq!(writer_lines(&two)[0].decoded, None, "not said, not guessed");
    }

    #[test]
    fn cents_read_as_money() {
        assert_eq!(money(0), "0.00");
        assert_eq!(money(1234), "12.34");
        assert_eq!(money(5), "0.05");
    }
}
