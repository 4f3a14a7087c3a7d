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

    /// Glance and Nova: `2015-11-07T02:58:43Z`.
    public static func iso8601(_ date: Date) -> String {
        wholeSeconds(date) + "Z"
    }

    private static func wholeSeconds(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}
