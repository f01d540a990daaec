"""China's customs country codes (the 3-digit 国别(地区)代码 of the JGS-20 tables) as ISO 3166-1 alpha-2.

CEB messages name countries (an item's origin, an inventory's country of departure) by the customs
authority's own numeric codes, not by ISO 3166. The table below holds every code whose meaning two
independent public copies of the customs country table agree on, and which ISO 3166-1 codes as one
country or territory:

- [CC-1] a Java enum ``com.ruoyi.yz.enums.Currency`` that, despite its name, lists the country
  codes with their Chinese and English names (code index id 47359113256; the newer edition: it has
  357 Faroe Islands, 358 Serbia, 359 Montenegro);
- [CC-3] a Java map ``com.xgs.zwy.constant.Constants.COUNTRY`` (code index id 1584479221; an older
  edition: 349 Yugoslavia, and the ex-Soviet republics also under 341-348).

Entries marked "[one source]" are in [CC-1] only. The currency enum ``CustomsCurrencyCodeEnum``
(code index id 8332826045, [CC-2]) gives the same numbers to the currencies of the issuing
countries (110 HKD, 116 JPY, 142 CNY, 303 GBP, 502 USD, 601 AUD, 609 NZD ...), which corroborates
those codes a third time. The research notes (docs/standards/cn-ceb.md section 2) name the sources.

Codes that name no single ISO country (continents, "other Asian countries", "unknown", Canary
Islands, Ceuta, Melilla, the dissolved Netherlands Antilles ...) are in ``codes.NOT_A_COUNTRY`` and
refused with their meaning; any other code is refused as unknown. Nothing is guessed.
"""

from __future__ import annotations

CUSTOMS_COUNTRIES: dict[str, str] = {
    "101": "AF",  # Afghanistan
    "102": "BH",  # Bahrain
    "103": "BD",  # Bangladesh
    "104": "BT",  # Bhutan
    "105": "BN",  # Brunei Darussalam
    "106": "MM",  # Myanmar
    "107": "KH",  # Cambodia
    "108": "CY",  # Cyprus
    "109": "KP",  # Korea, Democratic People's Republic of
    "110": "HK",  # Hong Kong
    "111": "IN",  # India
    "112": "ID",  # Indonesia
    "113": "IR",  # Iran, Islamic Republic of
    "114": "IQ",  # Iraq
    "115": "IL",  # Israel
    "116": "JP",  # Japan
    "117": "JO",  # Jordan
    "118": "KW",  # Kuwait
    "119": "LA",  # Lao People's Democratic Republic
    "120": "LB",  # Lebanon
    "121": "MO",  # Macao
    "122": "MY",  # Malaysia
    "123": "MV",  # Maldives
    "124": "MN",  # Mongolia
    "125": "NP",  # Nepal
    "126": "OM",  # Oman
    "127": "PK",  # Pakistan
    "128": "PS",  # Palestine, State of
    "129": "PH",  # Philippines
    "130": "QA",  # Qatar
    "131": "SA",  # Saudi Arabia
    "132": "SG",  # Singapore
    "133": "KR",  # Korea, Republic of
    "134": "LK",  # Sri Lanka
    "135": "SY",  # Syrian Arab Republic
    "136": "TH",  # Thailand
    "137": "TR",  # Türkiye
    "138": "AE",  # United Arab Emirates
    "139": "YE",  # Yemen
    "141": "VN",  # Viet Nam
    "142": "CN",  # China
    "143": "TW",  # Taiwan, Province of China
    "144": "TL",  # Timor-Leste
    "145": "KZ",  # Kazakhstan
    "146": "KG",  # Kyrgyzstan
    "147": "TJ",  # Tajikistan
    "148": "TM",  # Turkmenistan
    "149": "UZ",  # Uzbekistan
    "201": "DZ",  # Algeria
    "202": "AO",  # Angola
    "203": "BJ",  # Benin
    "204": "BW",  # Botswana
    "205": "BI",  # Burundi
    "206": "CM",  # Cameroon
    "208": "CV",  # Cabo Verde
    "209": "CF",  # Central African Republic
    "211": "TD",  # Chad
    "212": "KM",  # Comoros
    "213": "CG",  # Congo
    "214": "DJ",  # Djibouti
    "215": "EG",  # Egypt
    "216": "GQ",  # Equatorial Guinea
    "217": "ET",  # Ethiopia
    "218": "GA",  # Gabon
    "219": "GM",  # Gambia
    "220": "GH",  # Ghana
    "221": "GN",  # Guinea
    "222": "GW",  # Guinea-Bissau
    "223": "CI",  # Côte d'Ivoire
    "224": "KE",  # Kenya
    "225": "LR",  # Liberia
    "226": "LY",  # Libya
    "227": "MG",  # Madagascar
    "228": "MW",  # Malawi
    "229": "ML",  # Mali
    "230": "MR",  # Mauritania
    "231": "MU",  # Mauritius
    "232": "MA",  # Morocco
    "233": "MZ",  # Mozambique
    "234": "NA",  # Namibia
    "235": "NE",  # Niger
    "236": "NG",  # Nigeria
    "237": "RE",  # Réunion
    "238": "RW",  # Rwanda
    "239": "ST",  # Sao Tome and Principe
    "240": "SN",  # Senegal
    "241": "SC",  # Seychelles
    "242": "SL",  # Sierra Leone
    "243": "SO",  # Somalia
    "244": "ZA",  # South Africa
    "245": "EH",  # Western Sahara
    "246": "SD",  # Sudan
    "247": "TZ",  # Tanzania, United Republic of
    "248": "TG",  # Togo
    "249": "TN",  # Tunisia
    "250": "UG",  # Uganda
    "251": "BF",  # Burkina Faso
    "252": "CD",  # Congo, The Democratic Republic of the
    "253": "ZM",  # Zambia
    "254": "ZW",  # Zimbabwe
    "255": "LS",  # Lesotho
    "257": "SZ",  # Eswatini
    "258": "ER",  # Eritrea
    "259": "YT",  # Mayotte
    "301": "BE",  # Belgium
    "302": "DK",  # Denmark
    "303": "GB",  # United Kingdom
    "304": "DE",  # Germany
    "305": "FR",  # France
    "306": "IE",  # Ireland
    "307": "IT",  # Italy
    "308": "LU",  # Luxembourg
    "309": "NL",  # Netherlands
    "310": "GR",  # Greece
    "311": "PT",  # Portugal
    "312": "ES",  # Spain
    "313": "AL",  # Albania
    "314": "AD",  # Andorra
    "315": "AT",  # Austria
    "316": "BG",  # Bulgaria
    "318": "FI",  # Finland
    "320": "GI",  # Gibraltar
    "321": "HU",  # Hungary
    "322": "IS",  # Iceland
    "323": "LI",  # Liechtenstein
    "324": "MT",  # Malta
    "325": "MC",  # Monaco
    "326": "NO",  # Norway
    "327": "PL",  # Poland
    "328": "RO",  # Romania
    "329": "SM",  # San Marino
    "330": "SE",  # Sweden
    "331": "CH",  # Switzerland
    "334": "EE",  # Estonia
    "335": "LV",  # Latvia
    "336": "LT",  # Lithuania
    "337": "GE",  # Georgia
    "338": "AM",  # Armenia
    "339": "AZ",  # Azerbaijan
    "340": "BY",  # Belarus
    "343": "MD",  # Moldova, Republic of
    "344": "RU",  # Russian Federation
    "347": "UA",  # Ukraine
    "350": "SI",  # Slovenia
    "351": "HR",  # Croatia
    "352": "CZ",  # Czechia
    "353": "SK",  # Slovakia
    "354": "MK",  # North Macedonia
    "355": "BA",  # Bosnia and Herzegovina
    "356": "VA",  # Holy See (Vatican City State)
    "357": "FO",  # Faroe Islands  [one source]
    "358": "RS",  # Serbia  [one source]
    "359": "ME",  # Montenegro  [one source]
    "401": "AG",  # Antigua and Barbuda
    "402": "AR",  # Argentina
    "403": "AW",  # Aruba
    "404": "BS",  # Bahamas
    "405": "BB",  # Barbados
    "406": "BZ",  # Belize
    "408": "BO",  # Bolivia, Plurinational State of
    "409": "BQ",  # Bonaire (part of Bonaire, Sint Eustatius and Saba, which ISO 3166-1 codes as one)
    "410": "BR",  # Brazil
    "411": "KY",  # Cayman Islands
    "412": "CL",  # Chile
    "413": "CO",  # Colombia
    "414": "DM",  # Dominica
    "415": "CR",  # Costa Rica
    "416": "CU",  # Cuba
    "417": "CW",  # Curaçao
    "418": "DO",  # Dominican Republic
    "419": "EC",  # Ecuador
    "420": "GF",  # French Guiana
    "421": "GD",  # Grenada
    "422": "GP",  # Guadeloupe
    "423": "GT",  # Guatemala
    "424": "GY",  # Guyana
    "425": "HT",  # Haiti
    "426": "HN",  # Honduras
    "427": "JM",  # Jamaica
    "428": "MQ",  # Martinique
    "429": "MX",  # Mexico
    "430": "MS",  # Montserrat
    "431": "NI",  # Nicaragua
    "432": "PA",  # Panama
    "433": "PY",  # Paraguay
    "434": "PE",  # Peru
    "435": "PR",  # Puerto Rico
    "436": "BQ",  # Saba (part of Bonaire, Sint Eustatius and Saba, which ISO 3166-1 codes as one)
    "437": "LC",  # Saint Lucia
    "439": "VC",  # Saint Vincent and the Grenadines
    "440": "SV",  # El Salvador
    "441": "SR",  # Suriname
    "442": "TT",  # Trinidad and Tobago
    "443": "TC",  # Turks and Caicos Islands
    "444": "UY",  # Uruguay
    "445": "VE",  # Venezuela, Bolivarian Republic of
    "446": "VG",  # Virgin Islands, British
    "447": "KN",  # Saint Kitts and Nevis
    "448": "PM",  # Saint Pierre and Miquelon
    "501": "CA",  # Canada
    "502": "US",  # United States
    "503": "GL",  # Greenland
    "504": "BM",  # Bermuda
    "601": "AU",  # Australia
    "602": "CK",  # Cook Islands
    "603": "FJ",  # Fiji
    "604": "PF",  # French Polynesia (an island group of French Polynesia: ISO 3166-1 codes the whole)
    "605": "PF",  # French Polynesia (an island group of French Polynesia: ISO 3166-1 codes the whole)
    "606": "NR",  # Nauru
    "607": "NC",  # New Caledonia
    "608": "VU",  # Vanuatu
    "609": "NZ",  # New Zealand
    "610": "NF",  # Norfolk Island
    "611": "PG",  # Papua New Guinea
    "612": "PF",  # French Polynesia (an island group of French Polynesia: ISO 3166-1 codes the whole)
    "613": "SB",  # Solomon Islands
    "614": "TO",  # Tonga
    "615": "PF",  # French Polynesia (an island group of French Polynesia: ISO 3166-1 codes the whole)
    "616": "PF",  # French Polynesia (an island group of French Polynesia: ISO 3166-1 codes the whole)
    "617": "WS",  # Samoa
    "618": "KI",  # Kiribati
    "619": "TV",  # Tuvalu
    "620": "FM",  # Micronesia, Federated States of
    "621": "MH",  # Marshall Islands
    "622": "PW",  # Palau
    "623": "PF",  # French Polynesia
    "625": "WF",  # Wallis and Futuna
}

# [one source]: in [CC-1] only.
ONE_SOURCE = frozenset({"357", "358", "359"})
