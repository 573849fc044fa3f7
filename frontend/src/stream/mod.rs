//! Seed step 5 in the page: a Spark Structured Streaming query over the topic, run by the bridge
//! on Spark Connect (the same query as `kafka-demo stream`): event-time tumbling windows with a
//! watermark, clicks per window per creative drawn live as windows update, and the query's
//! health — input and processing rates, batch duration, watermark, rows dropped as too late.
//!
//! A query belongs to the bridge session that started it: when the bridge goes away or
//! restarts, the query shows as cut off (its checkpoint is kept, so starting it again resumes
//! it); its pushes are taken only from that session.

pub mod windows;

use crate::batch::chart::{bars, ticks};
use crate::export::ChartExport;
use crate::text::count::thousands;
use crate::text::place::{hide_paths, shown_place};
use crate::widgets::{GridLines, Step, TextField};
use crate::ws::session::SessionJob;
use crate::ws::{call, Bridge};
use leptos::prelude::*;
use shared::protocol::{JobId, Push, Request, Response, StreamProgress, StreamSpec, StreamTrigger};
use shared::Topic;
use std::rc::Rc;
use windows::Windows;

/// Windows drawn in the chart.
const SHOWN: usize = 20;
/// Creatives drawn as lines.
const TOP: usize = 5;
/// Plot size in view-box units.
const PLOT: (f64, f64) = (640.0, 180.0);
/// Room for the axis labels.
const AXIS: f64 = 44.0;

/// Everything pushed about the section's queries, kept by job: a query's first pushes may
/// arrive before the answer naming it.
#[derive(Clone, Copy)]
struct Live {
    windows: RwSignal<Vec<(SessionJob, Windows)>>,
    progress: RwSignal<Vec<(SessionJob, StreamProgress)>>,
    notices: RwSignal<Vec<(SessionJob, String)>>,
    ended: RwSignal<Vec<(SessionJob, Option<String>)>>,
}

impl Live {
    fn new() -> Self {
        Self {
            windows: RwSignal::new(Vec::new()),
            progress: RwSignal::new(Vec::new()),
            notices: RwSignal::new(Vec::new()),
            ended: RwSignal::new(Vec::new()),
        }
    }

    /// Takes `push`, heard on the socket of `session`.
    fn hear(self, session: u32, push: &Push) {
        let of = |job: &JobId| SessionJob::new(session, *job);
        match push {
            Push::StreamWindows { job, windows } => {
                let job = of(job);
                self.windows
                    .update(|all| match all.iter_mut().find(|(j, _)| *j == job) {
                        Some((_, w)) => w.apply(windows),
                        None => {
                            let mut w = Windows::new();
                            w.apply(windows);
                            all.push((job, w));
                        }
                    })
            }
            Push::StreamProgress(p) => self.progress.update(|all| {
                let job = of(&p.job);
                all.retain(|(j, _)| *j != job);
                all.push((job, p.clone()));
            }),
            Push::StreamNotice { job, message } => {
                self.notices
                    .update(|all| all.push((of(job), message.clone())));
            }
            Push::StreamEnded { job, error } => self
                .ended
                .update(|all| all.push((of(job), error.as_ref().map(|e| e.message.clone())))),
            _ => {}
        }
    }

    fn clear(self) {
        self.windows.set(Vec::new());
        self.progress.set(Vec::new());
        self.notices.set(Vec::new());
        self.ended.set(Vec::new());
    }
}

/// The Stream section.
#[component]
pub fn StreamSection() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let live = Live::new();
    bridge.on_push(Rc::new(move |push: &Push| {
        live.hear(bridge.session_now(), push)
    }));
    let topic = RwSignal::new("clicks-avro".to_owned());
    let window = RwSignal::new("60".to_owned());
    let watermark = RwSignal::new("30".to_owned());
    let trigger = RwSignal::new("processing".to_owned());
    let job = RwSignal::new(None::<SessionJob>);
    let checkpoint = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let ended = Memo::new(move |_| {
        let job = job.get()?;
        live.ended
            .with(|all| all.iter().find(|(j, _)| *j == job).map(|(_, e)| e.clone()))
    });
    // A query lives in the bridge session: when the session ends, so does the query.
    let cut_off = Memo::new(move |_| {
        let job = job.get()?;
        job.cut_off(bridge.session().get())
            .filter(|_| ended.with(Option::is_none))
    });
    let running = move || {
        job.with(Option::is_some) && ended.with(Option::is_none) && cut_off.with(Option::is_none)
    };

    let starting = Action::new_local(move |spec: &StreamSpec| {
        let session = bridge.session().get_untracked().unwrap_or_default();
        let reply = bridge.call(Request::StartStream(spec.clone()), |reply| match reply {
            Response::StreamStarted { job, checkpoint } => Some((job, checkpoint)),
            _ => None,
        });
        async move {
            match reply.await {
                Ok((started, at)) => {
                    checkpoint.set(Some(at));
                    job.set(Some(SessionJob::new(session, started)));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let stopping = Action::new_local(move |of: &JobId| {
        let reply = bridge.call(Request::StopStream { job: *of }, call::done);
        async move {
            if let Err(e) = reply.await {
                error.set(Some(e.to_string()));
            }
        }
    });
    let busy = starting.pending();
    let start = move |_| {
        let spec = match spec(
            &topic.get_untracked(),
            &window.get_untracked(),
            &watermark.get_untracked(),
            &trigger.get_untracked(),
        ) {
            Ok(spec) => spec,
            Err(e) => return error.set(Some(e)),
        };
        error.set(None);
        live.clear();
        job.set(None);
        starting.dispatch_local(spec);
    };
    let stop = move |_| {
        if let Some(of) = job.get_untracked() {
            stopping.dispatch_local(of.job);
        }
    };
    let windows = Memo::new(move |_| {
        let job = job.get()?;
        live.windows
            .with(|all| all.iter().find(|(j, _)| *j == job).map(|(_, w)| w.clone()))
    });
    let progress = Memo::new(move |_| {
        let job = job.get()?;
        live.progress
            .with(|all| all.iter().find(|(j, _)| *j == job).map(|(_, p)| p.clone()))
    });

    view! {
        <Step id="stream" step=5 title="Stream">
            <p class="lede">
                "Read the topic with Spark Structured Streaming: records decoded per writer schema as in "
                "the batch job, tumbling windows of event time with a watermark, clicks and cost per "
                "creative per window. The query checkpoints, so a stopped one resumes where it was."
            </p>
            <div class="row controls">
                <TextField label="topic" testid="stream-topic" value=topic/>
                <TextField label="window (s)" testid="stream-window" value=window/>
                <TextField label="watermark (s)" testid="stream-watermark" value=watermark/>
                <label class="field">
                    <span>"trigger"</span>
                    <select data-testid="stream-trigger" on:change:target=move |ev| trigger.set(ev.target().value())>
                        <option value="processing" selected=true>"every second"</option>
                        <option value="available-now">"drain what is there, then stop"</option>
                    </select>
                </label>
                <button data-testid="stream-start" class="primary" disabled=move || busy.get() || running() || !bridge.online().get() on:click=start>
                    "Start stream"
                </button>
                <button data-testid="stream-stop" disabled=move || !running() on:click=stop>"Stop"</button>
                <span class="tail-state" data-testid="stream-state">
                    {move || match (job.get(), ended.get(), cut_off.get()) {
                        (None, _, _) => "stopped".to_owned(),
                        (Some(_), None, Some(_)) => "cut off".to_owned(),
                        (Some(_), None, None) => "running".to_owned(),
                        (Some(_), Some(None), _) => "ended".to_owned(),
                        (Some(_), Some(Some(_)), _) => "failed".to_owned(),
                    }}
                </span>
            </div>
            {move || error.get().or_else(|| ended.get().flatten()).map(|e| view! {
                <p class="error" role="alert" data-testid="stream-error">{e}</p>
            })}
            {move || cut_off.get().map(|cut| view! {
                <p class="error" role="alert" data-testid="stream-cut-off">{format!(
                    "{}, and the query with it; its checkpoint is kept — start it again to resume.",
                    cut.sentence()
                )}</p>
            })}
            {move || checkpoint.get().map(|c| {
                let workshop = bridge.welcome().get().is_none_or(|w| w.workshop);
                view! {
                    <p class="hint" data-testid="stream-checkpoint">"checkpoint: " {shown_place("stream", &c, workshop)}</p>
                }
            })}
            <ul class="plain notices" data-testid="stream-notices">
                {move || {
                    let current = job.get();
                    live.notices.get().into_iter().filter(|(j, _)| Some(*j) == current).map(|(_, m)| view! { <li>"ℹ " {hide_paths(&m)}</li> }).collect_view()
                }}
            </ul>
            <dl class="stats counters">
                <dt>"micro-batch"</dt><dd data-testid="stream-batch">{move || show(progress.get(), |p| p.batch_id.to_string())}</dd>
                <dt>"input rate"</dt><dd data-testid="stream-input-rate">{move || show(progress.get(), |p| format!("{:.0} rows/s", p.input_rows_per_sec))}</dd>
                <dt>"processing rate"</dt><dd data-testid="stream-processing-rate">{move || show(progress.get(), |p| format!("{:.0} rows/s", p.processed_rows_per_sec))}</dd>
                <dt>"batch duration"</dt><dd data-testid="stream-duration">{move || show(progress.get(), |p| format!("{} ms", p.batch_duration_ms))}</dd>
                <dt>"watermark"</dt><dd data-testid="stream-watermark-value">{move || show(progress.get(), |p| p.watermark.clone().unwrap_or_else(|| "—".into()))}</dd>
                <dt>"dropped as late"</dt><dd data-testid="stream-dropped">{move || show(progress.get(), |p| p.dropped_late.to_string())}</dd>
                <dt>"poison pills skipped"</dt><dd data-testid="stream-poison">{move || show(progress.get(), |p| p.poison.to_string())}</dd>
                <dt>"clicks in windows"</dt><dd data-testid="stream-total">{move || windows.get().map_or(0, |w| w.total_clicks())}</dd>
                <dt>"windows"</dt><dd data-testid="stream-windows">{move || windows.get().map_or(0, |w| w.window_count())}</dd>
            </dl>
            {move || windows.get().map(|w| view! {
                <p class="row export">"chart " <ChartExport selector="[data-testid=stream-chart]" name=Signal::stored("stream-windows".to_owned())/></p>
                <WindowChart windows=w/>
            })}
        </Step>
    }
}

fn show(progress: Option<StreamProgress>, f: impl Fn(&StreamProgress) -> String) -> String {
    progress.as_ref().map_or_else(|| "—".into(), f)
}

/// The request for the settings as typed.
fn spec(topic: &str, window: &str, watermark: &str, trigger: &str) -> Result<StreamSpec, String> {
    let seconds = |text: &str, what: &str, min: u32| match text.trim().parse::<u32>() {
        Ok(n) if n >= min && n <= 86_400 => Ok(n),
        _ => Err(format!(
            "{what}: a whole number of seconds from {min} to 86400"
        )),
    };
    Ok(StreamSpec {
        topic: Topic::new(topic.trim()).map_err(|e| format!("Topic: {e}"))?,
        window_secs: seconds(window, "Window", 1)?,
        watermark_secs: seconds(watermark, "Watermark", 0)?,
        trigger: if trigger == "available-now" {
            StreamTrigger::AvailableNow
        } else {
            StreamTrigger::ProcessingTime(1000)
        },
    })
}

/// A window's start as `HH:MM` UTC, or `HH:MM:SS` when windows start off the minute.
fn start_label(ms: i64, on_minutes: bool) -> String {
    let iso = shared::decode::instant(ms, 1_000, "Z");
    let end = if on_minutes { 16 } else { 19 };
    iso.get(11..end).unwrap_or_default().to_owned()
}

/// Clicks per window as bars (every creative) with a line per top creative.
#[component]
fn WindowChart(windows: Windows) -> impl IntoView {
    let series = windows.series(SHOWN, TOP);
    let (top, marks) = ticks(series.totals.iter().copied().max().unwrap_or(0));
    let (w, h) = PLOT;
    let laid = bars(&series.totals, top, w, h);
    let slot = if series.starts.is_empty() {
        w
    } else {
        w / series.starts.len() as f64
    };
    let point = move |i: usize, v: u64| {
        (
            AXIS + slot * (i as f64 + 0.5),
            h - v as f64 * h / top as f64,
        )
    };
    let colours = ["#c2410c", "#15803d", "#7c3aed", "#0e7490", "#be185d"];
    let legend = series
        .top
        .iter()
        .map(|(c, _)| c.clone())
        .collect::<Vec<_>>();
    // Window starts under the bars, at most eight of them, so the labels never crowd.
    let every = series.starts.len().div_ceil(8).max(1);
    let on_minutes = series.starts.iter().all(|s| s % 60_000 == 0);
    let labels = series
        .starts
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, start)| {
            (
                AXIS + slot * (i as f64 + 0.5),
                start_label(*start, on_minutes),
            )
        })
        .collect::<Vec<_>>();
    let titles = series
        .starts
        .iter()
        .map(|start| start_label(*start, on_minutes))
        .collect::<Vec<_>>();
    view! {
        <svg class="chart" data-testid="stream-chart" data-windows=series.starts.len() viewBox=format!("0 -10 {} {}", w + AXIS, h + 46.0) role="img" aria-label="clicks per event-time window">
            <GridLines marks=marks top=top left=AXIS width=w height=h/>
            {laid.into_iter().zip(series.totals.clone()).zip(titles).map(|((b, n), start)| view! {
                <rect class="bar soft" x=b.x + AXIS y=b.y width=b.width.max(0.5) height=b.height>
                    <title>{format!("{} clicks in the window from {start} UTC", thousands(n))}</title>
                </rect>
            }).collect_view()}
            {labels.into_iter().map(|(x, text)| view! {
                <text class="tick" data-testid="stream-chart-x" x=x y=h + 16.0 text-anchor="middle">{text}</text>
            }).collect_view()}
            <text class="tick" x=AXIS + w / 2.0 y=h + 32.0 text-anchor="middle">"window start (event time, UTC)"</text>
            {series.top.into_iter().enumerate().map(|(k, (creative, clicks))| {
                let points = clicks.iter().enumerate().map(|(i, v)| { let (x, y) = point(i, *v); format!("{x:.1},{y:.1}") }).collect::<Vec<_>>().join(" ");
                view! { <polyline class="line" points=points stroke=colours[k % colours.len()]><title>{creative}</title></polyline> }
            }).collect_view()}
        </svg>
        <ul class="plain legend-inline">
            <li><span class="swatch soft"></span>"all creatives"</li>
            {legend.into_iter().enumerate().map(|(k, c)| view! {
                <li><span class="swatch" style=format!("background: {}", colours[k % colours.len()])></span>{c}</li>
            }).collect_view()}
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_starts_read_as_clock_times() {
        assert_eq!(start_label(1_704_067_260_000, true), "00:01");
        assert_eq!(start_label(1_704_067_210_000, false), "00:00:10");
    }

    #[test]
    fn settings_become_a_request() {
        let s = spec("clicks-avro", "60", "30", "processing").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (s.window_secs, s.watermark_secs, s.trigger),
            (60, 30, StreamTrigger::ProcessingTime(1000))
        );
        assert_eq!(
            spec("t", "10", "0", "available-now").map(|s| s.trigger),
            Ok(StreamTrigger::AvailableNow)
        );
        assert!(spec("t", "0", "0", "processing").is_err());
        assert!(spec("t", "60", "-1", "processing").is_err());
    }
}
