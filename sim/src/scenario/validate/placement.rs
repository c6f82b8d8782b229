//! A service's placement strategies and constraints (`memberOf`
//! expressions checked against the cluster they will run on).

use super::*;

impl Checker<'_> {
    pub(super) fn placement(
        &mut self,
        path: &str,
        list: Option<&[raw::RawStrategy]>,
    ) -> Option<Vec<PlacementStrategy>> {
        let list = match list {
            None | Some([]) => {
                return Some(vec![
                    PlacementStrategy::SpreadAttribute(Attribute::AvailabilityZone),
                    PlacementStrategy::SpreadInstance,
                ])
            }
            Some(l) => l,
        };
        let mut ok = true;
        if list.len() > MAX_STRATEGIES {
            ok = false;
            self.bad(
                &format!("{path}.placement"),
                format!("({} strategies)", list.len()),
                format!("at most {MAX_STRATEGIES} strategies (ECS limit)"),
            );
        }
        let spread_fields = [
            ("instanceId", PlacementStrategy::SpreadInstance),
            ("host", PlacementStrategy::SpreadInstance),
            (
                expr::attribute_name(Attribute::AvailabilityZone),
                PlacementStrategy::SpreadAttribute(Attribute::AvailabilityZone),
            ),
            (
                expr::attribute_name(Attribute::InstanceType),
                PlacementStrategy::SpreadAttribute(Attribute::InstanceType),
            ),
            (
                expr::attribute_name(Attribute::CpuArchitecture),
                PlacementStrategy::SpreadAttribute(Attribute::CpuArchitecture),
            ),
        ];
        let mut out = Vec::new();
        for (i, st) in list.iter().enumerate() {
            let fp = format!("{path}.placement[{i}].field");
            let got = match st {
                raw::RawStrategy::Spread { field } => {
                    let names: Vec<&str> = spread_fields.iter().map(|(n, _)| *n).collect();
                    let v = self.req(&fp, field, &format!("one of {}", names.join(", ")));
                    v.and_then(|v| match v {
                        Value::String(s) => spread_fields
                            .iter()
                            .find(|(n, _)| n == s)
                            .map(|(_, st)| st.clone()),
                        _ => None,
                    })
                    .or_else(|| {
                        if let Some(v) = v {
                            self.bad(
                                &fp,
                                render(v),
                                format!("a spread field: one of {}", names.join(", ")),
                            );
                        }
                        None
                    })
                }
                raw::RawStrategy::Binpack { field } => self
                    .req(&fp, field, "one of cpu, memory")
                    .and_then(|v| {
                        self.check(
                            &fp,
                            v,
                            OneOf(&[("cpu", Resource::Cpu), ("memory", Resource::Memory)]),
                        )
                    })
                    .map(PlacementStrategy::Binpack),
                raw::RawStrategy::Random {} => Some(PlacementStrategy::Random),
            };
            match got {
                Some(g) => out.push(g),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    pub(super) fn constraints(
        &mut self,
        path: &str,
        list: Option<&[raw::RawConstraint]>,
        fleet: &Fleet,
    ) -> Option<Vec<PlacementConstraint>> {
        let list = list.unwrap_or(&[]);
        let mut ok = true;
        if list.len() > MAX_CONSTRAINTS {
            ok = false;
            self.bad(
                &format!("{path}.constraints"),
                format!("({} constraints)", list.len()),
                format!("at most {MAX_CONSTRAINTS} constraints (ECS limit)"),
            );
        }
        let mut out = Vec::new();
        for (i, c) in list.iter().enumerate() {
            match c {
                raw::RawConstraint::DistinctInstance {} => {
                    out.push(PlacementConstraint::DistinctInstance)
                }
                raw::RawConstraint::MemberOf { expression } => {
                    let ep = format!("{path}.constraints[{i}].expression");
                    match self.member_of(&ep, expression, fleet) {
                        Some(e) => out.push(PlacementConstraint::MemberOf(e)),
                        None => ok = false,
                    }
                }
            }
        }
        ok.then_some(out)
    }

    pub(super) fn member_of(
        &mut self,
        path: &str,
        v: &Option<Value>,
        fleet: &Fleet,
    ) -> Option<Expression> {
        let v = self.req(path, v, expr::GRAMMAR)?;
        let text = self.check(path, v, Text(expr::GRAMMAR))?;
        let e = match expr::parse(&text) {
            Ok(e) => e,
            Err(why) => {
                self.bad(path, render(v), why);
                return None;
            }
        };
        // Values that can be checked: AZ names and architectures are closed
        // sets; instance types must at least exist.
        if e.op != ExprOp::Matches {
            let (known, what): (Vec<String>, &str) = match e.attribute {
                Attribute::AvailabilityZone => match &fleet.azs {
                    Some(azs) => (azs.clone(), "cluster.azs"),
                    None => return Some(e),
                },
                Attribute::CpuArchitecture => (
                    catalogue::ARCHITECTURES
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    "the architectures",
                ),
                Attribute::InstanceType => {
                    let mut k: Vec<String> =
                        catalogue::names().into_iter().map(str::to_string).collect();
                    if let Some(it) = &fleet.instance_type {
                        if !k.contains(&it.name) {
                            k.push(it.name.clone());
                        }
                    }
                    (k, "the instance types")
                }
            };
            if let Some(bad) = e.values.iter().find(|x| !known.contains(x)) {
                self.bad(
                    path,
                    render(v),
                    format!("{} is not one of {what} ({})", quote(bad), known.join(", ")),
                );
                return None;
            }
        }
        // Every host of this cluster has the same type and architecture; an
        // expression no AZ satisfies leaves the service PENDING for ever.
        let (Some(it), Some(azs)) = (&fleet.instance_type, &fleet.azs) else {
            return Some(e);
        };
        let fits = azs.iter().any(|az| {
            let value = match e.attribute {
                Attribute::AvailabilityZone => az.as_str(),
                Attribute::InstanceType => it.name.as_str(),
                Attribute::CpuArchitecture => it.arch.as_str(),
            };
            expr::matches(&e, value)
        });
        if !fits {
            self.bad(
                path,
                render(v),
                format!(
                    "an expression some host satisfies: hosts are {} ({}) in {}, so every task would stay PENDING",
                    it.name,
                    it.arch,
                    azs.join(", ")
                ),
            );
            return None;
        }
        Some(e)
    }
}
