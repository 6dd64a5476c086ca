package textanalysis

import (
	"slices"
	"testing"
)

// Every form of one word must stem to the same key; the key is given so that
// a change of the rules shows up in review.
func TestWordFormsShareAStem(t *testing.T) {
	tests := []struct {
		stem  string
		forms []string
	}{
		// Customer support vocabulary.
		{"доставц", []string{"доставка", "доставката", "доставки", "доставките"}},
		{"поръчц", []string{"поръчка", "поръчката", "поръчки", "поръчките"}},
		{"пратц", []string{"пратка", "пратката", "пратки", "пратките"}},
		{"плащан", []string{"плащане", "плащането", "плащания", "плащанията"}},
		{"наложн", []string{"наложен", "наложена", "наложения", "наложеният"}},
		{"платеж", []string{"платеж", "платежа", "платежът", "платежи", "платежите"}},
		{"връщан", []string{"връщане", "връщането", "връщания"}},
		{"замн", []string{"замяна", "замяната", "замени", "замените"}},
		{"гаранц", []string{"гаранция", "гаранцията", "гаранции", "гаранциите"}},
		{"сервиз", []string{"сервиз", "сервиза", "сервизът", "сервизи", "сервизите"}},
		{"сервизн", []string{"сервизен", "сервизна", "сервизно", "сервизни", "сервизния"}},
		{"магазин", []string{"магазин", "магазина", "магазинът", "магазини", "магазините"}},
		{"адрес", []string{"адрес", "адреса", "адресът", "адреси", "адресите"}},
		{"куриер", []string{"куриер", "куриера", "куриерът", "куриери", "куриерите"}},
		{"офис", []string{"офис", "офиса", "офисът", "офиси", "офисите"}},
		{"телефон", []string{"телефон", "телефона", "телефонът", "телефони", "телефоните"}},
		{"хладилниц", []string{"хладилник", "хладилника", "хладилникът", "хладилници", "хладилниците"}},
		{"пералн", []string{"пералня", "пералнята", "перални", "пералните"}},
		{"час", []string{"час", "часа", "часът", "часове", "часовете"}},
		{"работн", []string{"работно", "работен", "работна", "работни", "работното", "работния", "работният"}},
		{"врем", []string{"време", "времето"}},
		{"безплатн", []string{"безплатна", "безплатно", "безплатни", "безплатен", "безплатната", "безплатното", "безплатните", "безплатния", "безплатният"}},
		{"продукт", []string{"продукт", "продукта", "продуктът", "продукти", "продуктите"}},
		{"пакет", []string{"пакет", "пакета", "пакетът", "пакети", "пакетите"}},
		{"цен", []string{"цена", "цената", "цени", "цените"}},
		{"номр", []string{"номер", "номера", "номерът", "номерата"}},
		{"информац", []string{"информация", "информацията"}},
		{"компан", []string{"компания", "компанията", "компании", "компаниите"}},
		{"стоц", []string{"стока", "стоката", "стоки", "стоките"}},
		{"услуг", []string{"услуга", "услугата", "услуги", "услугите"}},
		{"сметц", []string{"сметка", "сметката", "сметки", "сметките"}},
		{"проблем", []string{"проблем", "проблема", "проблемът", "проблеми", "проблемите"}},
		{"клиент", []string{"клиент", "клиента", "клиентът", "клиенти", "клиентите"}},
		{"ден", []string{"ден", "деня", "денят"}},
		// Soft masculine nouns.
		{"учитл", []string{"учител", "учителя", "учителят", "учители", "учителите"}},
		{"случа", []string{"случай", "случая", "случаят", "случаи", "случаите"}},
		// -ата as article and as part of the word.
		{"резулт", []string{"резултат", "резултата", "резултатът", "резултати", "резултатите"}},
		{"запл", []string{"заплата", "заплатата", "заплати", "заплатите"}},
		{"дат", []string{"дата", "датата", "дати", "датите"}},
		// Feminine nouns in a consonant: the article -та.
		{"част", []string{"част", "частта", "части", "частите"}},
		{"наличност", []string{"наличност", "наличността", "наличности"}},
		{"помощ", []string{"помощ", "помощта"}},
		// Neuter nouns.
		{"решн", []string{"решение", "решението", "решения", "решенията"}},
		{"писм", []string{"писмо", "писмото", "писма", "писмата"}},
		{"мен", []string{"меню", "менюто", "менюта"}},
		// Plural -ища, -ове.
		{"път", []string{"път", "пътят", "пътя", "пътища", "пътищата"}},
		{"град", []string{"град", "града", "градът", "градове", "градовете"}},
		// Fleeting vowels and palatalisation.
		{"месц", []string{"месец", "месеца", "месецът", "месеци", "месеците"}},
		{"продавц", []string{"продавец", "продавеца", "продавецът", "продавци", "продавците"}},
		{"центр", []string{"център", "центъра", "центърът", "центрове", "центровете"}},
		{"компютр", []string{"компютър", "компютъра", "компютри", "компютрите"}},
		{"знац", []string{"знак", "знака", "знаци", "знаците"}},
		{"каталог", []string{"каталог", "каталога", "каталози", "каталозите"}},
		// Adjectives.
		{"българсц", []string{"български", "българския", "българският", "българска", "българското", "българските"}},
		{"нов", []string{"нов", "нова", "ново", "нови", "новия", "новият", "новата", "новите"}},
	}
	for _, tc := range tests {
		for _, form := range tc.forms {
			if got := StemBulgarian(form); got != tc.stem {
				t.Errorf("StemBulgarian(%q) = %q, want %q", form, got, tc.stem)
			}
		}
	}
}

func TestUnrelatedWordsKeepApart(t *testing.T) {
	pairs := [][2]string{
		{"доставка", "достъп"}, {"връщане", "връзка"}, {"връщането", "връзката"}, {"пратка", "праг"},
		{"час", "част"}, {"работа", "робот"}, {"магазин", "магнит"}, {"поръчка", "поръча"},
		{"пакет", "пак"}, {"кредита", "кредо"}, {"телефон", "телевизор"}, {"плащане", "платеж"},
		{"замяна", "заявка"}, {"офис", "оферта"}, {"цена", "цел"}, {"адрес", "адвокат"},
		{"гаранция", "гараж"}, {"сервиз", "сервитьор"}, {"куриер", "курс"}, {"хладилник", "хладно"},
	}
	for _, p := range pairs {
		if a, b := StemBulgarian(p[0]), StemBulgarian(p[1]); a == b {
			t.Errorf("%q and %q share the stem %q", p[0], p[1], a)
		}
	}
}

func TestShortAndForeignWordsAreLeftAlone(t *testing.T) {
	for _, w := range []string{"да", "не", "път", "ток", "аз", "дни", "delivery", "iphone", "42", ""} {
		if got := StemBulgarian(w); got != w {
			t.Errorf("StemBulgarian(%q) = %q, want it unchanged", w, got)
		}
	}
}

func TestStemsKeepThreeLettersAndAVowel(t *testing.T) {
	for _, w := range []string{"дата", "брат", "злато", "лято", "член", "стена", "така", "вода", "кафе", "обувки", "ъгъл"} {
		got := []rune(StemBulgarian(w))
		if len(got) < minStem || !hasVowel(got) {
			t.Errorf("StemBulgarian(%q) = %q, cut too far", w, string(got))
		}
	}
}

func TestFoldDiacritics(t *testing.T) {
	for in, want := range map[string]string{
		"José Pérez": "jose perez", "Müller": "muller", "Straße": "strasse", "Łódź": "lodz",
		"Zoë": "zoe", "Ștefan Țurcanu": "stefan turcanu", "Ñoño": "nono", "Øyvind Ærø": "oyvind aero",
		"Đorđe": "dorde", "François": "francois", "Ørsted ﬁnance": "orsted finance", "ＡＢＣ": "abc",
		"Jose\u0301 Pe\u0301rez": "jose perez", "И\u0306ордан": "йордан",
		"Йордан": "йордан", "ЙОРДАН": "йордан", "Ёлка": "елка", "ѝ": "и", "кни́га": "книга",
		"Андрей": "андрей", "Иван Петров": "иван петров", "": "",
	} {
		if got := FoldDiacritics(in); got != want {
			t.Errorf("FoldDiacritics(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTransliterate(t *testing.T) {
	for in, want := range map[string]string{
		"Иван Петров": "ivan petrov", "Жана Стоянова": "zhana stoyanova", "Щерев": "shterev",
		"Цветелина Йорданова": "tsvetelina yordanova", "Юлия": "yuliya", "Ъгъл": "agal",
		"Чавдар Шишков": "chavdar shishkov", "Хаджиев": "hadzhiev", "Фердинанд": "ferdinand",
		"Гергьовден": "gergyovden", "абвгдежзийклмнопрстуфхцчшщъьюя": "abvgdezhziyklmnoprstufhtschshshtayyuya",
		"José": "josé", "iPhone 15 Pro": "iphone 15 pro", "поръчка №42": "porachka №42",
	} {
		if got := Transliterate(in); got != want {
			t.Errorf("Transliterate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLatinSpellings(t *testing.T) {
	for in, want := range map[string][]string{
		"мария": {"mariya", "maria"}, "софия": {"sofiya", "sofia"}, "иван": {"ivan"},
		"ия": {"iya", "ia"}, "мариянка": {"mariyanka"},
	} {
		if got := LatinSpellings(in); !slices.Equal(got, want) {
			t.Errorf("LatinSpellings(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsCyrillic(t *testing.T) {
	for w, want := range map[string]bool{
		"доставка": true, "ДОСТАВКА": true, "delivery": false, "iPhone": false, "123": false, "": false,
		"е-мейл": true, "смартфонът": true, "gsm-ът": false, "ок": true,
	} {
		if got := IsCyrillic(w); got != want {
			t.Errorf("IsCyrillic(%q) = %v, want %v", w, got, want)
		}
	}
}
