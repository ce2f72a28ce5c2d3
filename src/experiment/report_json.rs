//! The JSON form of a [`Report`] (`impl Serialize`): snake_case members in
//! a fixed order, `null` for every figure that is `None`, and `null` for
//! any number that is not finite (JSON has no NaN or infinity; the
//! analysis should never produce one, this is the last guard). Written by
//! hand: the core's serde has no derive feature, and this keeps it so.
//! The shape is documented in docs/experiments.md ("Reading results").

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::ser::{List, Num};

use super::report::{
    Comparison, MetricReport, MetricValue, MetricVariant, Report, ReportVerdict, SampleSizeReport, Sequential,
    SrmReport, VariantReport,
};
use crate::stats::Interval;

fn num(x: f64) -> Num {
    Num(Some(x))
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Report", 8)?;
        st.serialize_field("flag", &self.flag)?;
        st.serialize_field("control", &self.control)?;
        st.serialize_field("variants", &List(&self.variants))?;
        st.serialize_field("multiple_exposures", &self.multiple_exposures)?;
        st.serialize_field("srm", &self.srm)?;
        st.serialize_field("sample_size", &self.sample_size)?;
        st.serialize_field("metrics", &List(&self.metrics))?;
        st.serialize_field("verdict", &self.verdict)?;
        st.end()
    }
}

impl Serialize for VariantReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Variant", 3)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("weight", &num(self.weight))?;
        st.serialize_field("units", &self.units)?;
        st.end()
    }
}

impl Serialize for SrmReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Srm", 4)?;
        st.serialize_field("p_value", &num(self.p_value))?;
        st.serialize_field("statistic", &Num(self.statistic))?;
        st.serialize_field("df", &self.df)?;
        st.serialize_field("mismatch", &self.mismatch)?;
        st.end()
    }
}

impl Serialize for SampleSizeReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("SampleSize", 9)?;
        st.serialize_field("baseline", &Num(self.baseline))?;
        st.serialize_field("mde", &num(self.mde))?;
        st.serialize_field("alpha", &num(self.alpha))?;
        st.serialize_field("power", &num(self.power))?;
        st.serialize_field("per_variant_needed", &self.per_variant_needed)?;
        st.serialize_field("smallest_variant_units", &self.smallest_variant_units)?;
        st.serialize_field("progress", &Num(self.progress))?;
        st.serialize_field("days_elapsed", &num(self.days_elapsed))?;
        st.serialize_field("days_remaining", &Num(self.days_remaining))?;
        st.end()
    }
}

impl Serialize for MetricReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Metric", 4)?;
        st.serialize_field("event", &self.event)?;
        st.serialize_field("kind", self.kind.as_str())?;
        st.serialize_field("goal", self.goal.as_str())?;
        st.serialize_field("variants", &List(&self.variants))?;
        st.end()
    }
}

impl Serialize for MetricVariant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("MetricVariant", 5)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("units", &self.units)?;
        match self.value {
            MetricValue::Conversion { converted, rate } => {
                st.serialize_field("converted", &converted)?;
                st.serialize_field("rate", &Num(rate))?;
            }
            MetricValue::Mean { mean, variance } => {
                st.serialize_field("mean", &Num(mean))?;
                st.serialize_field("variance", &Num(variance))?;
            }
        }
        st.serialize_field("vs_control", &self.vs_control)?;
        st.end()
    }
}

impl Serialize for Comparison {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Comparison", 6)?;
        st.serialize_field("absolute", &self.absolute.map(IntervalJson))?;
        st.serialize_field("relative", &self.relative.map(IntervalJson))?;
        st.serialize_field("p_value", &Num(self.p_value))?;
        st.serialize_field("chance_to_beat_control", &Num(self.chance_to_beat_control))?;
        st.serialize_field("sequential", &self.sequential)?;
        st.serialize_field("significant", &self.significant)?;
        st.end()
    }
}

/// `{estimate, ci_low, ci_high}` (`Interval` lives in `stats`, which has
/// no JSON form of its own).
struct IntervalJson(Interval);

impl Serialize for IntervalJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Interval", 3)?;
        st.serialize_field("estimate", &num(self.0.estimate))?;
        st.serialize_field("ci_low", &num(self.0.ci_low))?;
        st.serialize_field("ci_high", &num(self.0.ci_high))?;
        st.end()
    }
}

impl Serialize for Sequential {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Sequential", 3)?;
        st.serialize_field("p_value", &num(self.p_value))?;
        st.serialize_field("ci_low", &num(self.ci_low))?;
        st.serialize_field("ci_high", &num(self.ci_high))?;
        st.end()
    }
}

impl Serialize for ReportVerdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Verdict", 4)?;
        st.serialize_field("status", self.status.as_str())?;
        st.serialize_field("variant", &self.variant)?;
        st.serialize_field("metric", &self.metric)?;
        st.serialize_field("message", &self.message)?;
        st.end()
    }
}
