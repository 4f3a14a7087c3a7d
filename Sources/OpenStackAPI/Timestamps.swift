import Foundation

/// The timestamp spellings OpenStack services use on the wire.
public enum Timestamps {
    /// Keystone: `2015-11-07T02:58:43.578887Z`.
    public static func keystone(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        // Rounded, not truncated: 0.399 s is 399000 µs, not the 398999 a double's error would give.
        let micro = min(Int(((interval - interval.rounded(.down)) * 1_000_000).rounded()), 999_999)
        return wholeSeconds(date) + String(format: ".%06dZ", micro)
    }

    /// Keystone's application credential expiry: `2015-11-07T02:58:43.578887`,
    /// no zone, as the client sent it.
    public static func keystoneNaive(_ date: Date) -> String {
        String(keystone(date).dropLast())
    }

    /// Reads an ISO 8601 time as Keystone accepts it: fractional seconds to
    /// the microsecond or none, a `Z` or `±hh:mm` zone or none (UTC then).
    public static func parseKeystone(_ text: String) -> Date? {
        var rest = Substring(text)
        var offset: TimeInterval = 0
        if rest.hasSuffix("Z") {
            rest = rest.dropLast()
        } else if rest.count > 6, let sign = rest.dropLast(5).last, sign == "+" || sign == "-", rest.suffix(3).first == ":" {
            let zone = rest.suffix(5)
            guard let hours = Int(zone.prefix(2)), let minutes = Int(zone.suffix(2)) else { return nil }
            offset = TimeInterval(hours * 3600 + minutes * 60) * (sign == "+" ? 1 : -1)
            rest = rest.dropLast(6)
        }
        var fraction: TimeInterval = 0
        if let dot = rest.lastIndex(of: ".") {
            let digits = rest[rest.index(after: dot)...]
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Double("0." + digits) else { return nil }
            fraction = value
            rest = rest[..<dot]
        }
        let parts = rest.split(whereSeparator: { "-T:".contains($0) })
        guard rest.count == 19, parts.count == 6 else { return nil }
        let numbers = parts.compactMap { Int($0) }
        guard numbers.count == 6 else { return nil }
        var fields = tm()
        fields.tm_year = Int32(numbers[0] - 1900)
        fields.tm_mon = Int32(numbers[1] - 1)
        fields.tm_mday = Int32(numbers[2])
        fields.tm_hour = Int32(numbers[3])
        fields.tm_min = Int32(numbers[4])
        fields.tm_sec = Int32(numbers[5])
        guard (1...12).contains(numbers[1]), (1...31).contains(numbers[2]), numbers[3] < 24, numbers[4] < 60, numbers[5] < 61 else { return nil }
        let seconds = timegm(&fields)
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction - offset)
    }

    /// Glance and Nova: `2015-11-07T02:58:43Z`.
    public static func iso8601(_ date: Date) -> String {
        wholeSeconds(date) + "Z"
    }

    /// `2015-11-07T02:58:43`, digits written by hand: `String(format:)` made
    /// the timestamps most of the cost of a list response.
    private static func wholeSeconds(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        var text: [UInt8] = []
        text.reserveCapacity(20)
        func digits(_ value: Int32, _ count: Int) {
            var divisor: Int32 = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = max(value, 0)
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(parts.tm_year + 1900, 4)
        text.append(UInt8(ascii: "-"))
        digits(parts.tm_mon + 1, 2)
        text.append(UInt8(ascii: "-"))
        digits(parts.tm_mday, 2)
        text.append(UInt8(ascii: "T"))
        digits(parts.tm_hour, 2)
        text.append(UInt8(ascii: ":"))
        digits(parts.tm_min, 2)
        text.append(UInt8(ascii: ":"))
        digits(parts.tm_sec, 2)
        return String(decoding: text, as: UTF8.self)
    }
}
