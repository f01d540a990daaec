"""Reference data for synthetic people and firms: names, streets, cities, postcodes, phone prefixes.

Everything here is invented or generic (common given names and surnames, generic street names, large
cities); e-mail addresses use the reserved ``example`` domains (RFC 2606) so that no generated
identity can reach a real mailbox.
"""

from __future__ import annotations

from typing import NamedTuple


class Locale(NamedTuple):
    given: tuple[str, ...]
    family: tuple[str, ...]
    streets: tuple[str, ...]
    # True where the house number comes first ("12 High Street"), False where it follows the street.
    number_first: bool


def _t(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


LOCALES: dict[str, Locale] = {
    "en": Locale(
        _t("James, Olivia, Oliver, Emily, Jack, Sophie, Harry, Grace, Thomas, Chloe, Daniel, Emma, Liam, Ava"),
        _t("Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Walker, Clarke, Hughes, Murphy"),
        _t("High Street, Church Road, Station Road, Park Avenue, Victoria Street, Mill Lane, Oak Drive"),
        True,
    ),
    "de": Locale(
        _t("Anna, Lukas, Marie, Leon, Sophie, Felix, Lena, Jonas, Laura, Paul, Julia, Maximilian, Hannah"),
        _t("Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Hoffmann, Schulz, Koch"),
        _t("Hauptstraße, Lindenstraße, Bahnhofstraße, Gartenweg, Schulstraße, Bergstraße, Waldweg"),
        False,
    ),
    "fr": Locale(
        _t("Camille, Lucas, Léa, Hugo, Manon, Louis, Chloé, Gabriel, Inès, Jules, Emma, Arthur, Sarah"),
        _t("Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon, Laurent"),
        _t("rue de la Paix, avenue Victor Hugo, rue des Lilas, boulevard Voltaire, rue du Moulin"),
        True,
    ),
    "it": Locale(
        _t("Giulia, Francesco, Sofia, Alessandro, Aurora, Lorenzo, Chiara, Matteo, Martina, Andrea, Elena"),
        _t("Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, Bruno, Gallo"),
        _t("Via Roma, Via Garibaldi, Via Mazzini, Corso Italia, Via Dante, Via Verdi, Viale dei Mille"),
        False,
    ),
    "es": Locale(
        _t("Lucía, Hugo, María, Martín, Paula, Daniel, Sofía, Pablo, Carmen, Alejandro, Laura, Javier, Elena"),
        _t("García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, Ruiz, Díaz"),
        _t("Calle Mayor, Calle del Sol, Avenida de la Constitución, Calle Real, Paseo del Prado, Calle Nueva"),
        False,
    ),
    "pt": Locale(
        _t("Maria, João, Ana, Francisco, Beatriz, Tomás, Inês, Rodrigo, Mariana, Duarte, Carolina, Miguel"),
        _t("Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins, Sousa, Fernandes, Gomes"),
        _t("Rua Augusta, Avenida da Liberdade, Rua do Carmo, Rua da Prata, Rua de Santa Catarina"),
        False,
    ),
    "nl": Locale(
        _t("Emma, Daan, Julia, Sem, Tess, Lucas, Sophie, Levi, Fleur, Noah, Anna, Finn, Lotte, Milan, Eva"),
        _t("de Jong, Jansen, de Vries, van den Berg, Bakker, Visser, Smit, Meijer, Mulder, Peeters, Maes"),
        _t("Kerkstraat, Dorpsstraat, Molenweg, Stationsstraat, Schoolstraat, Nieuwstraat, Lindelaan"),
        False,
    ),
    "pl": Locale(
        _t("Anna, Jakub, Zuzanna, Antoni, Julia, Jan, Maja, Szymon, Zofia, Filip, Hanna, Kacper, Natalia"),
        _t("Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński, Woźniak"),
        _t("ul. Długa, ul. Polna, ul. Lipowa, ul. Ogrodowa, ul. Słoneczna, ul. Kościuszki, ul. Mickiewicza"),
        False,
    ),
    "nordic": Locale(
        _t("Elsa, William, Alice, Oscar, Maja, Lucas, Ella, Emil, Ida, Noah, Freja, Aksel, Nora, Eino, Aino"),
        _t("Andersson, Johansson, Nielsen, Hansen, Jensen, Larsen, Olsen, Korhonen, Virtanen, Berg, Lund"),
        _t("Storgatan, Kirkegade, Storgata, Skolegata, Kungsgatan, Nørregade, Mannerheimintie, Parkveien"),
        False,
    ),
    "cs": Locale(
        _t("Jan, Tereza, Jakub, Eliška, Tomáš, Anna, Petr, Natálie, Martin, Adéla, Lukáš, Kristýna, Peter"),
        _t("Novák, Svoboda, Novotný, Dvořák, Černý, Procházka, Kučera, Horváth, Kováč, Varga, Tóth"),
        _t("Husova, Palackého, Masarykova, Nádražní, Školní, Hlavná, Komenského, Zahradní"),
        False,
    ),
    "hu": Locale(
        _t("Bence, Hanna, Máté, Anna, Levente, Zsófia, Dávid, Lili, Dániel, Réka, Ádám, Eszter"),
        _t("Nagy, Kovács, Tóth, Szabó, Horváth, Varga, Kiss, Molnár, Németh, Farkas, Balogh"),
        _t("Fő utca, Petőfi utca, Kossuth Lajos utca, Rákóczi út, Ady Endre utca, Dózsa György út"),
        False,
    ),
    "ro": Locale(
        _t("Andrei, Maria, Alexandru, Elena, Mihai, Ioana, Ştefan, Ana, Gabriel, Cristina, Radu, Daria"),
        _t("Popescu, Ionescu, Popa, Dumitru, Stan, Stoica, Gheorghe, Rusu, Munteanu, Matei, Constantin"),
        _t("Strada Victoriei, Bulevardul Unirii, Strada Mihai Eminescu, Strada Florilor, Calea Dorobanţilor"),
        False,
    ),
    "south_slav": Locale(
        _t("Ivan, Ana, Luka, Petra, Marko, Maja, Georgi, Elena, Nikola, Iva, Dimitar, Sara, Jan, Nina"),
        _t("Horvat, Kovačević, Babić, Novak, Kovačič, Ivanov, Georgiev, Dimitrov, Petrov, Krajnc, Marić"),
        _t("Ilica, Vukovarska, Slovenska cesta, Trubarjeva, Vitosha, Rakovski, Savska cesta"),
        False,
    ),
    "el": Locale(
        _t("Georgios, Maria, Ioannis, Eleni, Konstantinos, Katerina, Dimitrios, Sofia, Nikolaos, Andreas"),
        _t("Papadopoulos, Pappas, Georgiou, Nikolaou, Oikonomou, Vlachos, Dimitriou, Christodoulou"),
        _t("Odos Ermou, Odos Athinas, Leoforos Kifisias, Odos Tsimiski, Odos Stadiou, Makarios Avenue"),
        False,
    ),
    "baltic": Locale(
        _t("Jonas, Emilija, Lukas, Sofija, Janis, Anna, Kristaps, Liene, Mart, Sofia, Rasmus, Laura"),
        _t("Kazlauskas, Petrauskas, Jankauskas, Bērziņš, Kalniņš, Ozols, Tamm, Saar, Sepp, Mägi"),
        _t("Gedimino pr., Vilniaus g., Brīvības iela, Elizabetes iela, Narva mnt, Pärnu mnt"),
        False,
    ),
}


class CountryInfo(NamedTuple):
    locale: str
    calling_code: str
    # Postcode shape: '9' is a digit, 'A' an upper-case letter, anything else literal. The city's
    # prefix replaces the shape's leading characters so that postcodes look local.
    postcode: str
    cities: tuple[tuple[str, str], ...]


def _cities(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for part in text.split(";"):
        name, _, prefix = part.strip().partition("=")
        pairs.append((name.strip(), prefix.strip()))
    return tuple(pairs)


COUNTRIES: dict[str, CountryInfo] = {
    "AT": CountryInfo("de", "43", "9999", _cities("Wien=1;Graz=80;Linz=40;Salzburg=50;Innsbruck=60")),
    "BE": CountryInfo("nl", "32", "9999", _cities("Bruxelles=10;Antwerpen=20;Gent=90;Liège=40;Brugge=80")),
    "BG": CountryInfo("south_slav", "359", "9999", _cities("Sofia=1;Plovdiv=40;Varna=90;Burgas=80")),
    "HR": CountryInfo("south_slav", "385", "99999", _cities("Zagreb=10;Split=21;Rijeka=51;Osijek=31")),
    "CY": CountryInfo("el", "357", "9999", _cities("Nicosia=10;Limassol=30;Larnaca=60")),
    "CZ": CountryInfo("cs", "420", "999 99", _cities("Praha=1;Brno=6;Ostrava=7;Plzeň=3")),
    "DK": CountryInfo("nordic", "45", "9999", _cities("København=1;Aarhus=80;Odense=50;Aalborg=90")),
    "EE": CountryInfo("baltic", "372", "99999", _cities("Tallinn=10;Tartu=50;Pärnu=80")),
    "FI": CountryInfo("nordic", "358", "99999", _cities("Helsinki=00;Espoo=02;Tampere=33;Turku=20;Oulu=90")),
    "FR": CountryInfo(
        "fr",
        "33",
        "99999",
        _cities("Paris=75;Lyon=69;Marseille=13;Toulouse=31;Lille=59;Nantes=44;Bordeaux=33"),
    ),
    "DE": CountryInfo(
        "de",
        "49",
        "99999",
        _cities("Berlin=10;Hamburg=20;München=80;Köln=50;Frankfurt am Main=60;Stuttgart=70;Leipzig=04;Essen=45"),
    ),
    "GR": CountryInfo("el", "30", "999 99", _cities("Athina=10;Thessaloniki=54;Patra=26;Irakleio=71")),
    "HU": CountryInfo("hu", "36", "9999", _cities("Budapest=1;Debrecen=40;Szeged=67;Pécs=76")),
    "IE": CountryInfo("en", "353", "A99 A999", _cities("Dublin=D;Cork=T;Galway=H;Limerick=V")),
    "IT": CountryInfo(
        "it", "39", "99999", _cities("Roma=001;Milano=201;Napoli=801;Torino=101;Bologna=401;Firenze=501")
    ),
    "LV": CountryInfo("baltic", "371", "LV-9999", _cities("Rīga=LV-10;Daugavpils=LV-54;Liepāja=LV-34")),
    "LT": CountryInfo("baltic", "370", "LT-99999", _cities("Vilnius=LT-0;Kaunas=LT-4;Klaipėda=LT-9")),
    "LU": CountryInfo("fr", "352", "L-9999", _cities("Luxembourg=L-1;Esch-sur-Alzette=L-4")),
    "MT": CountryInfo("en", "356", "AAA 9999", _cities("Valletta=VLT;Birkirkara=BKR;Sliema=SLM")),
    "NL": CountryInfo("nl", "31", "9999 AA", _cities("Amsterdam=10;Rotterdam=30;Den Haag=25;Utrecht=35;Eindhoven=56")),
    "PL": CountryInfo("pl", "48", "99-999", _cities("Warszawa=0;Kraków=3;Łódź=9;Wrocław=5;Poznań=6;Gdańsk=8")),
    "PT": CountryInfo("pt", "351", "9999-999", _cities("Lisboa=1;Porto=4;Braga=47;Coimbra=30")),
    "RO": CountryInfo("ro", "40", "999999", _cities("Bucureşti=0;Cluj-Napoca=40;Timişoara=30;Iaşi=70")),
    "SK": CountryInfo("cs", "421", "999 99", _cities("Bratislava=8;Košice=04;Žilina=01")),
    "SI": CountryInfo("south_slav", "386", "9999", _cities("Ljubljana=1;Maribor=2;Celje=3")),
    "ES": CountryInfo(
        "es", "34", "99999", _cities("Madrid=28;Barcelona=08;Valencia=46;Sevilla=41;Bilbao=48;Málaga=29")
    ),
    "SE": CountryInfo("nordic", "46", "999 99", _cities("Stockholm=1;Göteborg=4;Malmö=2;Uppsala=75")),
    "GB": CountryInfo(
        "en", "44", "AA9 9AA", _cities("London=SW;Manchester=SK;Birmingham=WS;Leeds=LS;Glasgow=PA;Bristol=BS")
    ),
    "US": CountryInfo(
        "en",
        "1",
        "99999",
        _cities("New York=100;Los Angeles=900;Chicago=606;Houston=770;Seattle=981;Miami=331;Denver=802"),
    ),
    "CA": CountryInfo("en", "1", "A9A 9A9", _cities("Toronto=M;Montréal=H;Vancouver=V;Calgary=T;Ottawa=K")),
    "AU": CountryInfo("en", "61", "9999", _cities("Sydney=2;Melbourne=3;Brisbane=4;Perth=6;Adelaide=5")),
    "CH": CountryInfo("de", "41", "9999", _cities("Zürich=80;Genève=12;Basel=40;Bern=30;Lausanne=10")),
    "NO": CountryInfo("nordic", "47", "9999", _cities("Oslo=0;Bergen=50;Trondheim=70;Stavanger=40")),
}

EURO_AREA: frozenset[str] = frozenset(
    _t("AT, BE, BG, HR, CY, EE, FI, FR, DE, GR, IE, IT, LV, LT, LU, MT, NL, PT, SK, SI, ES")
)
EU_MEMBERS: frozenset[str] = EURO_AREA | frozenset(_t("CZ, DK, HU, PL, RO, SE"))

# Seller side: where firms sit, how they are named, and a few cities each.
SELLER_CITIES: dict[str, tuple[str, ...]] = {
    "CN": _t("Shenzhen, Guangzhou, Yiwu, Dongguan, Hangzhou, Ningbo, Xiamen, Shanghai, Quanzhou, Foshan"),
    "HK": _t("Kowloon, Kwun Tong, Tsuen Wan, Sha Tin, Wan Chai"),
    "US": _t("Los Angeles, New York, Dallas, Miami, Chicago, Atlanta"),
    "GB": _t("London, Manchester, Leicester, Birmingham, Bradford"),
    "TR": _t("İstanbul, İzmir, Bursa, Denizli, Gaziantep"),
    "IN": _t("Mumbai, Jaipur, Delhi, Tiruppur, Surat, Bengaluru"),
    "VN": _t("Ho Chi Minh City, Hanoi, Da Nang, Hai Phong"),
    "KR": _t("Seoul, Busan, Incheon, Daegu"),
    "JP": _t("Tokyo, Osaka, Nagoya, Fukuoka"),
    "TW": _t("Taipei, Taichung, Kaohsiung"),
    "TH": _t("Bangkok, Chiang Mai, Nonthaburi"),
    "PK": _t("Sialkot, Karachi, Lahore"),
    "MY": _t("Kuala Lumpur, Penang, Johor Bahru"),
    "ID": _t("Jakarta, Surabaya, Bandung"),
}

FIRM_WORDS = _t(
    "Bright, Sunrise, Golden Bridge, Everwin, Topsun, Huamei, Longda, Xinyuan, Jiaxin, Hengtai, Blue Ocean, "
    "Silver Leaf, Rainbow, Unity, Harmony, Star, Pioneer, Greenfield, Summit, Lucky, Oriental, Apex, Nova, "
    "Crystal, Evergreen, Maple, Phoenix, Horizon, Zenith, Lotus"
)
FIRM_TRADES = _t(
    "Trading, Technology, E-commerce, Electronics, Garment, Import and Export, Commerce, Crafts, Supply Chain"
)
# The legal-form suffix a firm of each country carries in its name.
FIRM_SUFFIX: dict[str, str] = {
    "CN": "Co., Ltd",
    "HK": "Limited",
    "US": "LLC",
    "GB": "Ltd",
    "TR": "Ltd. Şti.",
    "IN": "Pvt Ltd",
    "VN": "Co., Ltd",
    "KR": "Co., Ltd.",
    "JP": "K.K.",
    "TW": "Co., Ltd.",
    "TH": "Co., Ltd.",
    "PK": "(Pvt) Ltd",
    "MY": "Sdn Bhd",
    "ID": "PT",
}
SELLER_STREETS: dict[str, tuple[str, ...]] = {
    "CN": _t("Huaqiang North Road, Jiefang Road, Zhongshan Road, Renmin Road, Binhai Avenue, Futian Road"),
    "*": _t("Industrial Road, Trade Centre Road, Market Street, Harbour Road, Commerce Avenue, Mill Road"),
}
# Private (C2C) sellers: Chinese names for sellers in CN, HK and TW, English-locale names elsewhere.
PRIVATE_GIVEN_ZH = _t("Wei, Fang, Jing, Lei, Min, Yan, Jun, Hui, Xiaoming, Li Na, Hao, Ying")
PRIVATE_FAMILY_ZH = _t("Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Wu, Zhou, Xu, Lin")

EMAIL_DOMAINS = _t("example.com, example.net, example.org, mail.example.com, post.example.net")
