//! Event markers for the time charts, from the recording's `events.csv`
//! ([`FleetEvent`]s). Only the notable kinds are marked (deploys, failures,
//! Spot notices, scaling decisions); task-level churn (`task_placed`,
//! `launch`, ...) can run to thousands of rows and stays off the charts.

use super::plot::{Marker, Rgb};
use crate::events::{FleetEventKind, MarkerFamily};
use crate::FleetEvent;
use plotters::style::RGBColor;

/// A marker family's colour on the charts.
fn colour(family: MarkerFamily) -> Rgb {
    match family {
        MarkerFamily::Deploy => RGBColor(123, 50, 148),
        MarkerFamily::Failure => RGBColor(200, 30, 30),
        MarkerFamily::SpotNotice => RGBColor(217, 95, 2),
        MarkerFamily::Scaling => RGBColor(40, 120, 120),
    }
}

/// Is this event marked on the time charts?
pub fn is_notable(e: &FleetEvent) -> bool {
    e.kind.notable().is_some()
}

/// A short label: "deploy api", "AZ us-east-1b fails", "scale out asg 3→6".
pub fn short_label(e: &FleetEvent) -> String {
    let subject = e.subject.as_str();
    let with_subject = |what: &str| {
        if subject.is_empty() {
            what.to_string()
        } else {
            format!("{what} {subject}")
        }
    };
    use FleetEventKind::*;
    let mut s = match e.kind {
        DeployStart => with_subject("deploy"),
        DeployEnd => with_subject("deployed"),
        DeployStep => with_subject("deploy step"),
        FailAz if subject.is_empty() => "AZ fails".to_string(),
        FailAz => format!("AZ {subject} fails"),
        FailInstance => with_subject("host fails"),
        SpotNotice => with_subject("Spot notice"),
        ScaleOut => with_subject("scale out"),
        ScaleIn => with_subject("scale in"),
        other => with_subject(&other.as_str().replace('_', " ")),
    };
    // Scaling details such as "3→6" say the most in the fewest characters.
    if matches!(e.kind, ScaleOut | ScaleIn) {
        if let Some(change) = change_of(&e.detail) {
            s.push(' ');
            s.push_str(&change);
        } else if !e.detail.is_empty() && e.detail.chars().count() <= 12 {
            s.push(' ');
            s.push_str(&e.detail);
        }
    }
    s
}

/// "... desired 6 -> 39" → "6→39": the numbers either side of the last
/// arrow (`->` or `→`), if both are numbers.
fn change_of(detail: &str) -> Option<String> {
    let (at, len) = match (detail.rfind("->"), detail.rfind('→')) {
        (Some(a), Some(b)) if b > a => (b, '→'.len_utf8()),
        (Some(a), _) => (a, 2),
        (None, Some(b)) => (b, '→'.len_utf8()),
        (None, None) => return None,
    };
    let from = detail[..at].split_whitespace().last()?;
    let to = detail[at + len..].split_whitespace().next()?;
    let num = |t: &str| t.parse::<f64>().is_ok();
    (num(from) && num(to)).then(|| format!("{from}→{to}"))
}
/// Markers for the time charts: notable events, x in `time_unit_s`
/// seconds. Events of one kind closer than `merge_s` to the previous one
/// fold into one marker ("scale out web ×4"; "host fails ×3" when the
/// subjects differ), and deploy steps are drawn unlabelled: a chart gets a
/// readable handful of labels, not hundreds.
pub(crate) fn markers(events: &[FleetEvent], time_unit_s: f64, merge_s: f64) -> Vec<Marker> {
    let mut notable: Vec<&FleetEvent> = events.iter().filter(|e| is_notable(e)).collect();
    notable.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    struct Group<'e> {
        first: &'e FleetEvent,
        last_t: f64,
        n: usize,
        same_subject: bool,
    }
    let mut groups: Vec<Group<'_>> = Vec::new();
    for e in notable {
        if let Some(g) = groups
            .iter_mut()
            .rev()
            .take_while(|g| e.t_s - g.last_t <= merge_s)
            .find(|g| g.first.kind == e.kind)
        {
            g.last_t = e.t_s;
            g.n += 1;
            g.same_subject &= g.first.subject == e.subject;
            continue;
        }
        groups.push(Group {
            first: e,
            last_t: e.t_s,
            n: 1,
            same_subject: true,
        });
    }
    groups
        .into_iter()
        .map(|g| {
            let e = g.first;
            let family = e.kind.notable().expect("only notable events are grouped");
            let label = if e.kind == FleetEventKind::DeployStep {
                None
            } else if g.n > 1 {
                let mut l = short_label(&FleetEvent {
                    detail: String::new(),
                    subject: if g.same_subject {
                        e.subject.clone()
                    } else {
                        String::new()
                    },
                    ..e.clone()
                });
                l.push_str(&format!(" ×{}", g.n));
                Some(l)
            } else {
                Some(short_label(e))
            };
            Marker {
                x: e.t_s / time_unit_s,
                label,
                color: colour(family),
                kind: family.name(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::tests::ev;

    #[test]
    fn short_labels() {
        assert_eq!(
            short_label(&ev(1.0, "fail_az", "us-east-1b", "")),
            "AZ us-east-1b fails"
        );
        assert_eq!(
            short_label(&ev(1.0, "deploy_start", "api", "rev 2")),
            "deploy api"
        );
        assert_eq!(
            short_label(&ev(1.0, "scale_in", "asg", "6→4")),
            "scale in asg 6→4"
        );
        assert_eq!(
            short_label(&ev(
                1.0,
                "scale_in",
                "asg",
                "target tracking: CPU 20% < 60%"
            )),
            "scale in asg"
        );
        assert!(!is_notable(&ev(1.0, "task_placed", "api", "")));
        assert!(is_notable(&ev(1.0, "spot_notice", "i-3", "")));
    }

    #[test]
    fn task_churn_is_not_marked_and_bursts_fold() {
        let mut events = vec![ev(10.0, "deploy_start", "api", "")];
        for i in 0..300 {
            events.push(ev(11.0 + i as f64, "task_placed", "api", ""));
        }
        for i in 0..4 {
            events.push(ev(100.0 + 30.0 * i as f64, "scale_out", "web", "+1"));
        }
        events.push(ev(400.0, "scale_out", "asg", "3→6"));
        events.push(ev(401.0, "deploy_step", "api", ""));
        for host in ["i-1", "i-2", "i-3"] {
            events.push(ev(900.0, "fail_instance", host, ""));
        }
        let m = markers(&events, 60.0, 60.0);
        let labels: Vec<Option<String>> = m.iter().map(|m| m.label.clone()).collect();
        assert_eq!(
            labels,
            vec![
                Some("deploy api".to_string()),
                Some("scale out web ×4".to_string()),
                Some("scale out asg 3→6".to_string()),
                None,
                Some("host fails ×3".to_string())
            ]
        );
        assert!((m[0].x - 10.0 / 60.0).abs() < 1e-12);
    }
}
