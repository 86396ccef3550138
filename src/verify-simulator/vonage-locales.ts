// The locales Vonage's OpenAPI descriptions list (Nexmo/api-specification definitions/verify.yml
// `lg`, 1.2.4; Verify v2's `locale`, as @vonage/verify2's VerifyLocale enum carries it). The
// simulator refuses others as Vonage does; loadConfig refuses them at start (delivery-settings.ts).

export const V2_LOCALES: readonly string[] = [
  'en-us', 'en-gb', 'es-es', 'es-mx', 'es-us', 'it-it', 'fr-fr', 'de-de', 'ru-ru', 'hi-in', 'pt-br', 'pt-pt', 'id-id',
];

export const LEGACY_LOCALES: readonly string[] = [
  'ar-xa', 'cs-cz', 'cy-cy', 'cy-gb', 'da-dk', 'de-de', 'el-gr', 'en-au', 'en-gb', 'en-in', 'en-us', 'es-es', 'es-mx',
  'es-us', 'fi-fi', 'fil-ph', 'fr-ca', 'fr-fr', 'hi-in', 'hu-hu', 'id-id', 'is-is', 'it-it', 'ja-jp', 'ko-kr', 'nb-no',
  'nl-nl', 'pl-pl', 'pt-br', 'pt-pt', 'ro-ro', 'ru-ru', 'sv-se', 'th-th', 'tr-tr', 'vi-vn', 'yue-cn', 'zh-cn', 'zh-tw',
];
