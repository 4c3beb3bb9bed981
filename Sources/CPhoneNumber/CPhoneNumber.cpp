#include "CPhoneNumber.h"

#include <phonenumbers/phonenumberutil.h>
#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <unicode/locid.h>

#include <cstring>
#include <mutex>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberOfflineGeocoder;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

// Copies `value` into `buffer` (size `size`), truncated at a UTF-8 character boundary, NUL-terminated.
void copy(const std::string &value, char *buffer, std::size_t size) {
    std::size_t length = value.size() < size - 1 ? value.size() : size - 1;
    while (length > 0 && length < value.size()
           && (static_cast<unsigned char>(value[length]) & 0xC0) == 0x80) {
        --length;
    }
    std::memcpy(buffer, value.data(), length);
    buffer[length] = '\0';
}

std::mutex geocoder_lock;

PhoneNumberOfflineGeocoder &geocoder() {
    static PhoneNumberOfflineGeocoder *instance = new PhoneNumberOfflineGeocoder();
    return *instance;
}

}  // namespace

extern "C" int cpn_parse(const char *text, const char *default_region, cpn_info *out) {
    std::memset(out, 0, sizeof(*out));
    out->type = CPN_UNKNOWN;
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    PhoneNumberUtil::ErrorType error = util->Parse(text ? text : "", default_region ? default_region : "ZZ", &number);
    out->error = static_cast<int>(error);
    if (error != PhoneNumberUtil::NO_PARSING_ERROR) return out->error;

    out->valid = util->IsValidNumber(number) ? 1 : 0;
    out->type = static_cast<int>(util->GetNumberType(number));
    out->country_code = number.country_code();
    // Each call gets a fresh string: some of libphonenumber's getters append to their output.
    std::string e164, national_number, region, national, international;
    util->Format(number, PhoneNumberUtil::E164, &e164);
    copy(e164, out->e164, sizeof(out->e164));
    util->GetNationalSignificantNumber(number, &national_number);
    copy(national_number, out->national_number, sizeof(out->national_number));
    util->GetRegionCodeForNumber(number, &region);
    copy(region, out->region, sizeof(out->region));
    util->Format(number, PhoneNumberUtil::NATIONAL, &national);
    copy(national, out->national_format, sizeof(out->national_format));
    util->Format(number, PhoneNumberUtil::INTERNATIONAL, &international);
    copy(international, out->international_format, sizeof(out->international_format));
    if (out->valid) {
        std::lock_guard<std::mutex> guard(geocoder_lock);
        copy(geocoder().GetDescriptionForNumber(number, icu::Locale("en")), out->place, sizeof(out->place));
    }
    return out->error;
}
