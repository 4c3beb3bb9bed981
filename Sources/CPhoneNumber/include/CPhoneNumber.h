// A C interface to libphonenumber (C++), so Swift needs no C++ interoperability: fixed-size
// buffers, no allocation crosses the boundary. Implemented in CPhoneNumber.cpp.
#ifndef CPHONENUMBER_H
#define CPHONENUMBER_H

#ifdef __cplusplus
extern "C" {
#endif

/// libphonenumber's PhoneNumberUtil::PhoneNumberType, in its order.
enum cpn_type {
    CPN_FIXED_LINE = 0, CPN_MOBILE, CPN_FIXED_LINE_OR_MOBILE, CPN_TOLL_FREE, CPN_PREMIUM_RATE,
    CPN_SHARED_COST, CPN_VOIP, CPN_PERSONAL_NUMBER, CPN_PAGER, CPN_UAN, CPN_VOICEMAIL, CPN_UNKNOWN
};

/// libphonenumber's PhoneNumberUtil::ErrorType, in its order (0: no error).
enum cpn_error {
    CPN_NO_PARSING_ERROR = 0, CPN_INVALID_COUNTRY_CODE_ERROR, CPN_NOT_A_NUMBER, CPN_TOO_SHORT_AFTER_IDD,
    CPN_TOO_SHORT_NSN, CPN_TOO_LONG_NSN
};

typedef struct cpn_info {
    int error;              // enum cpn_error
    int valid;              // 1 when the number matches a pattern of its region
    int type;               // enum cpn_type
    int country_code;       // 33, 1, 81 …
    char e164[24];          // "+33145678901"
    char national_number[24];
    char region[8];         // "FR", "ZZ" when unknown
    char national_format[64];
    char international_format[64];
    char place[128];        // offline geocoder, English; may be empty
} cpn_info;

/// Parses `text` (UTF-8), national numbers in `default_region` (ISO 3166), and fills `out`.
/// Returns `out->error`. Thread-safe.
int cpn_parse(const char *text, const char *default_region, cpn_info *out);

#ifdef __cplusplus
}
#endif
#endif
