/// Syntax check for RFC 3339 date-times (`2026-01-02T03:04:05.123+01:00`).
/// Only the shape and field ranges are checked; the value is never turned into
/// a clock reading, so the check is the same on every validator.
enum RFC3339 {
    static func isValid(_ text: String) -> Bool {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ count: Int, _ range: ClosedRange<Int>) -> Bool {
            guard i + count <= b.count else { return false }
            var value = 0
            for k in 0..<count {
                let c = b[i + k]
                guard c >= 48, c <= 57 else { return false }
                value = value * 10 + Int(c - 48)
            }
            i += count
            return range.contains(value)
        }
        func literal(_ options: [UInt8]) -> Bool {
            guard i < b.count, options.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard digits(4, 0...9999), literal([45]), digits(2, 1...12), literal([45]), digits(2, 1...31),
              literal([84, 116, 32]), digits(2, 0...23), literal([58]), digits(2, 0...59), literal([58]), digits(2, 0...60)
        else { return false }
        if i < b.count, b[i] == 46 {
            i += 1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            guard i > start else { return false }
        }
        if literal([90, 122]) { return i == b.count }
        guard literal([43, 45]), digits(2, 0...23), literal([58]), digits(2, 0...59) else { return false }
        return i == b.count
    }
}
