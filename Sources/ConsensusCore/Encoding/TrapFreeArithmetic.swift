/// Arithmetic on values a peer or a file controls. Swift traps on overflow,
/// so `abs(a - b)` on a signed timestamp near Int64.min crashes the process
/// before any signature is checked; these helpers give the same answer on
/// every replica without ever trapping (consensus needs determinism, not
/// just survival).
extension Int64 {
    /// |self - other|, exact for every pair of Int64 values.
    @inlinable
    public func distance(from other: Int64) -> UInt64 {
        self >= other ? UInt64(bitPattern: self &- other) : UInt64(bitPattern: other &- self)
    }

    /// Whether self is within `tolerance` of `other` (a negative tolerance admits nothing).
    @inlinable
    public func isWithin(_ tolerance: Int64, of other: Int64) -> Bool {
        tolerance >= 0 && distance(from: other) <= UInt64(tolerance)
    }

    /// self + other, clamped to Int64.min...Int64.max.
    @inlinable
    public func saturatingAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// self - other, clamped to Int64.min...Int64.max.
    @inlinable
    public func saturatingSubtracting(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }
}

extension UInt64 {
    /// self + other, clamped to UInt64.max.
    @inlinable
    public func saturatingAdding(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
