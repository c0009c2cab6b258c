import FuzzSupport
import Parsers

// Single-value cgroup files: memory.current (a number) and memory.max (a number or "max"). The two readings agree.
Fuzz.run { bytes in
    let number = CgroupValueParser.unsigned(bytes, path: "memory.current")
    let limit = CgroupValueParser.limit(bytes, path: "memory.max")
    Fuzz.require((number.value == nil) != (number.issue == nil), "unsigned: a value and an issue, or neither")
    if let value = limit.value {
        Fuzz.require(value < CgroupValueParser.v1UnlimitedThreshold, "limit \(value) at or above the unlimited threshold")
        Fuzz.require(number.value == value, "limit \(value) but unsigned \(String(describing: number.value))")
    }
    if let value = number.value {
        Fuzz.require(limit.issue == nil, "a number is a valid limit")
        Fuzz.require(limit.value == (value < CgroupValueParser.v1UnlimitedThreshold ? value : nil), "limit of \(value)")
    }
}
