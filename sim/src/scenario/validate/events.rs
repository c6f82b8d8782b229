//! `[[events]]`: scripted happenings, each at a time of the run.

use super::*;

impl Checker<'_> {
    pub(super) fn events(
        &mut self,
        list: &[raw::RawEvent],
        services: &[Service],
        fleet: &Fleet,
        span: Span,
    ) -> Vec<ScriptedEvent> {
        let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        let mut out = Vec::new();
        for (i, e) in list.iter().enumerate() {
            let p = |f: &str| format!("events[{i}].{f}");
            let at = self.time_within(&p("at"), e.at(), span, false);
            let action = match e {
                raw::RawEvent::Deploy { service, .. } => self
                    .field(&p("service"), service, ServiceName(&names))
                    .required()
                    .map(|service| Action::Deploy { service }),
                raw::RawEvent::FailInstance { host, .. } => match host {
                    None => Some(Action::FailInstance {
                        host: HostSelector::Random,
                    }),
                    Some(Value::String(h)) if h == raw::DEFAULT_HOST => {
                        Some(Action::FailInstance {
                            host: HostSelector::Random,
                        })
                    }
                    Some(Value::String(h))
                        if h.len() > 2
                            && h.starts_with("i-")
                            && h[2..].chars().all(|c| c.is_ascii_alphanumeric()) =>
                    {
                        Some(Action::FailInstance {
                            host: HostSelector::Id(h.clone()),
                        })
                    }
                    Some(v) => {
                        self.bad(
                            &p("host"),
                            render(v),
                            "\"random\" or a host id such as \"i-0003\"",
                        );
                        None
                    }
                },
                raw::RawEvent::FailAz { az, .. } => {
                    let azs: Vec<&str> = fleet
                        .azs
                        .as_deref()
                        .map_or(Vec::new(), |a| a.iter().map(String::as_str).collect());
                    let words = format!("one of cluster.azs ({})", azs.join(", "));
                    self.req(&p("az"), az, &words).and_then(|v| {
                        let found = match v {
                            Value::String(s) => azs.iter().position(|a| a == s),
                            _ => None,
                        };
                        if found.is_none() && fleet.azs.is_some() {
                            self.bad(&p("az"), render(v), words);
                        }
                        found.map(|az| Action::FailAz { az })
                    })
                }
                raw::RawEvent::SpotInterruption { count, .. } => self
                    .field(
                        &p("count"),
                        count,
                        Int(
                            1,
                            MAX_HOSTS,
                            &format!("a whole number of hosts from 1 to {MAX_HOSTS}"),
                        ),
                    )
                    .or(raw::DEFAULT_SPOT_COUNT)
                    .map(|count| Action::SpotInterruption { count }),
                raw::RawEvent::ScaleService {
                    service, desired, ..
                } => {
                    let service = self
                        .field(&p("service"), service, ServiceName(&names))
                        .required();
                    let desired = self
                        .field(
                            &p("desired"),
                            desired,
                            Int(
                                0,
                                MAX_TASKS_PER_SERVICE,
                                &format!(
                                    "a whole number of tasks from 0 to {MAX_TASKS_PER_SERVICE}"
                                ),
                            ),
                        )
                        .required();
                    match (service, desired) {
                        (Some(service), Some(desired)) => {
                            Some(Action::ScaleService { service, desired })
                        }
                        _ => None,
                    }
                }
            };
            if let (Some(at), Some(action)) = (at, action) {
                out.push(ScriptedEvent { at, action });
            }
        }
        // Stable: events at the same time keep their file order.
        out.sort_by_key(|e| e.at);
        out
    }
}
