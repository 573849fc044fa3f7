//! Consumer groups beside the tail: the list with state, members and topics; one group's
//! members and committed offset, end and lag per partition; and an offset reset that is always
//! planned first and committed only from the plan shown (the bridge refuses it while the group
//! has members).

use crate::text::count::signed;
use crate::widgets::TextField;
use crate::ws::Bridge;
use leptos::prelude::*;
use shared::decode::instant;
use shared::groups::{GroupDescription, GroupSummary, ResetPlan, ResetTo};
use shared::protocol::{Request, Response};
use shared::Topic;

/// The groups block.
#[component]
pub fn Groups() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let groups = RwSignal::new(None::<Vec<GroupSummary>>);
    let described = RwSignal::new(None::<GroupDescription>);
    let plan = RwSignal::new(None::<ResetPlan>);
    let error = RwSignal::new(None::<String>);
    let group = RwSignal::new(String::new());
    let topic = RwSignal::new(String::new());
    let kind = RwSignal::new("earliest".to_owned());
    let value = RwSignal::new(String::new());

    let listing = Action::new_local(move |(): &()| {
        let reply = bridge.call(Request::ListGroups, |reply| match reply {
            Response::Groups(list) => Some(list),
            _ => None,
        });
        async move {
            match reply.await {
                Ok(list) => {
                    groups.set(Some(list));
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let describing = Action::new_local(move |name: &String| {
        let reply = bridge.call(
            Request::DescribeGroup {
                group: name.clone(),
            },
            |reply| match reply {
                Response::Group(d) => Some(d),
                _ => None,
            },
        );
        async move {
            match reply.await {
                Ok(d) => {
                    if topic.with_untracked(String::is_empty) {
                        if let Some(first) = d.summary.topics.first() {
                            topic.set(first.clone());
                        }
                    }
                    described.set(Some(d));
                    error.set(None);
                }
                Err(e) => {
                    described.set(None);
                    error.set(Some(e.to_string()));
                }
            }
        }
    });
    let resetting = Action::new_local(move |request: &Request| {
        let execute = matches!(request, Request::ResetGroup { execute: true, .. });
        let reply = bridge.call(request.clone(), |reply| match reply {
            Response::GroupReset(plan) => Some(plan),
            _ => None,
        });
        async move {
            match reply.await {
                Ok(done) => {
                    let name = done.group.clone();
                    plan.set(Some(done));
                    error.set(None);
                    if execute {
                        describing.dispatch_local(name);
                    }
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let busy =
        move || listing.pending().get() || describing.pending().get() || resetting.pending().get();
    let describe = move |name: String| {
        plan.set(None);
        group.set(name.clone());
        describing.dispatch_local(name);
    };
    let reset = move |execute: bool| {
        let asked = match reset_request(
            &group.get_untracked(),
            &topic.get_untracked(),
            &kind.get_untracked(),
            &value.get_untracked(),
            execute,
        ) {
            Ok(request) => request,
            Err(why) => return error.set(Some(why)),
        };
        resetting.dispatch_local(asked);
    };

    view! {
        <details class="block groups" data-testid="groups">
            <summary>"Consumer groups: committed offsets, lag, offset reset"</summary>
            <p class="hint">
                "Groups are kept by Kafka for consumers that commit their position (the tail above "
                "commits nothing). A reset is planned first; the offsets are committed only from the "
                "plan, and only while the group has no members."
            </p>
            <div class="row controls">
                <button
                    data-testid="groups-refresh"
                    disabled=move || busy() || !bridge.online().get()
                    on:click=move |_| { listing.dispatch_local(()); }
                >"List groups"</button>
                <TextField label="group" testid="groups-name" value=group/>
                <button
                    data-testid="groups-describe"
                    disabled=move || busy() || group.with(|g| g.trim().is_empty())
                    on:click=move |_| describe(group.get_untracked().trim().to_owned())
                >"Describe"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="groups-error">{e}</p> })}
            {move || groups.get().map(|list| view! { <GroupList list=list describe=describe/> })}
            {move || described.get().map(|d| view! { <Described group=d/> })}
            {move || described.with(Option::is_some).then(|| view! {
                <div class="row controls reset" data-testid="groups-reset">
                    <TextField label="topic" testid="groups-reset-topic" value=topic/>
                    <label class="field">
                        <span>"reset to"</span>
                        <select
                            data-testid="groups-reset-to"
                            on:change:target=move |ev| kind.set(ev.target().value())
                        >
                            <option value="earliest" selected=true>"earliest"</option>
                            <option value="latest">"latest"</option>
                            <option value="time">"a time"</option>
                            <option value="offset">"an offset"</option>
                        </select>
                    </label>
                    {move || matches!(kind.get().as_str(), "time" | "offset").then(|| view! {
                        <label class="field">
                            <span>{move || if kind.get() == "time" { "time (UTC)" } else { "offset" }}</span>
                            <input
                                data-testid="groups-reset-value"
                                placeholder=move || if kind.get() == "time" { "2024-01-01T00:00:00Z" } else { "0" }
                                prop:value=move || value.get()
                                on:input:target=move |ev| value.set(ev.target().value())
                            />
                        </label>
                    })}
                    <button data-testid="groups-plan" disabled=busy on:click=move |_| reset(false)>"Plan reset"</button>
                </div>
            })}
            {move || plan.get().map(|p| {
                let executed = p.executed;
                view! {
                    <Plan plan=p/>
                    {(!executed).then(|| view! {
                        <button data-testid="groups-apply" disabled=busy on:click=move |_| reset(true)>
                            "Commit these offsets"
                        </button>
                    })}
                }
            })}
        </details>
    }
}

/// The groups as listed; a row's button describes it.
#[component]
fn GroupList(list: Vec<GroupSummary>, describe: impl Fn(String) + Copy + 'static) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="hint" data-testid="groups-none">"No consumer groups."</p> }
            .into_any();
    }
    view! {
        <table class="groups-list" data-testid="groups-list">
            <thead><tr><th>"group"</th><th>"state"</th><th>"members"</th><th>"topics"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|g| {
                    let name = g.group.clone();
                    view! {
                        <tr data-group=g.group.clone()>
                            <td><code>{g.group.clone()}</code></td>
                            <td>{g.state.clone()}</td>
                            <td>{g.members}</td>
                            <td>{if g.topics.is_empty() { "—".to_owned() } else { g.topics.join(", ") }}</td>
                            <td><button class="small" on:click=move |_| describe(name.clone())>"Describe"</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// One group: its state, members and partitions.
#[component]
fn Described(group: GroupDescription) -> impl IntoView {
    let show = |v: Option<i64>| v.map_or_else(|| "—".to_owned(), signed);
    let s = &group.summary;
    let heading = format!(
        "{}: {}, {} member{}, total lag {}",
        s.group,
        s.state,
        s.members,
        if s.members == 1 { "" } else { "s" },
        signed(group.total_lag())
    );
    view! {
        <div class="group" data-testid="groups-described" data-group=s.group.clone()>
            <h4>{heading}</h4>
            <ul class="members">
                {group.members.iter().map(|m| {
                    let assigned = m.assigned.iter().map(|(t, ps)| {
                        let ps: Vec<String> = ps.iter().map(i32::to_string).collect();
                        format!("{t} [{}]", ps.join(", "))
                    }).collect::<Vec<_>>().join("; ");
                    view! { <li><code>{m.client_id.clone()}</code>{format!(" at {}: {assigned}", m.host)}</li> }
                }).collect_view()}
            </ul>
            <table class="partitions" data-testid="groups-partitions">
                <thead><tr><th>"topic"</th><th>"partition"</th><th>"committed"</th><th>"end"</th><th>"lag"</th></tr></thead>
                <tbody>
                    {group.partitions.iter().map(|p| view! {
                        <tr data-topic=p.topic.clone() data-partition=p.partition data-committed=p.committed.map_or_else(String::new, |c| c.to_string())>
                            <td>{p.topic.clone()}</td>
                            <td>{p.partition}</td>
                            <td>{show(p.committed)}</td>
                            <td>{signed(p.end)}</td>
                            <td>{show(p.lag)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// A reset plan, or what a reset committed.
#[component]
fn Plan(plan: ResetPlan) -> impl IntoView {
    let show = |v: Option<i64>| v.map_or_else(|| "—".to_owned(), signed);
    let title = format!(
        "{} {} on {} to {}",
        if plan.executed {
            "Committed: group"
        } else {
            "Plan (nothing committed yet): group"
        },
        plan.group,
        plan.topic,
        target_words(plan.to)
    );
    view! {
        <div class="plan" data-testid="groups-plan-result" data-executed=plan.executed.to_string()>
            <h4>{title}</h4>
            <table class="partitions">
                <thead><tr><th>"partition"</th><th>"current"</th><th>"new"</th><th>"change"</th><th></th></tr></thead>
                <tbody>
                    {plan.rows.iter().map(|r| view! {
                        <tr data-partition=r.partition data-target=r.target>
                            <td>{r.partition}</td>
                            <td>{show(r.current)}</td>
                            <td>{signed(r.target)}</td>
                            <td>{change(r.target - r.current.unwrap_or(r.end))}</td>
                            <td class="hint">{r.note.clone().unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn change(n: i64) -> String {
    if n > 0 {
        format!("+{}", signed(n))
    } else {
        signed(n)
    }
}

fn target_words(to: ResetTo) -> String {
    match to {
        ResetTo::Earliest => "the earliest offsets".into(),
        ResetTo::Latest => "the latest offsets".into(),
        ResetTo::Time(ms) => format!("the first records at or after {}", instant(ms, 1000, "Z")),
        ResetTo::Offset(n) => format!("offset {}", signed(n)),
    }
}

/// The reset the form asks for, or why it cannot be asked.
fn reset_request(
    group: &str,
    topic: &str,
    kind: &str,
    value: &str,
    execute: bool,
) -> Result<Request, String> {
    let topic = Topic::new(topic.trim()).map_err(|e| format!("Topic: {e}"))?;
    let value = value.trim();
    let to = match kind {
        "latest" => ResetTo::Latest,
        "offset" => match value.parse::<i64>() {
            Ok(n) if n >= 0 => ResetTo::Offset(n),
            _ => return Err(format!("Offset: {value:?} is not an offset (0 or more)")),
        },
        "time" => {
            let ms = js_sys::Date::parse(value);
            if !ms.is_finite() {
                return Err(format!(
                    "Time: {value:?} is not a time; write it like 2024-01-01T00:00:00Z"
                ));
            }
            ResetTo::Time(ms as i64)
        }
        _ => ResetTo::Earliest,
    };
    Ok(Request::ResetGroup {
        group: group.trim().to_owned(),
        topic,
        to,
        execute,
    })
}
