package answerer

import (
	"strings"
	"unicode/utf8"

	"github.com/handoff-chat/handoff/search/textanalysis"
)

// Concept kinds.
const (
	kindTopic = 'T' // what a question is about; the chosen entry must cover it
	kindWeak  = 'W' // context that helps ranking but is not required
	kindGate  = 'O' // marks a question as outside the knowledge base
	kindChat  = 'C' // greetings, thanks, politeness: carries no question
	kindPlace = 'P' // a place: ranks like a topic, is not required
)

// lexiconSource is the bilingual lexicon of online-shop customer support:
// one concept a line, "kind id: pattern; pattern; ...". A pattern is one or
// more words; a word ending in * matches every word it begins (a root), other
// words match whole. Cyrillic words also match Bulgarian written in Latin
// letters; Latin words match English. Gate concepts are named after their
// decline reason.
const lexiconSource = `
T delivery: достав*; прат*; прати; пратите; доставк*; пратк*; пратен*; изпращ*; изпрат*; праща*; пращат*; колет*; куриер*; deliver*; shipping; ship; ships; shipped; parcel*; package*; courier*; shipment*; пощ*
T arrive: очаква*; expect*; await*; пристиг*; пристигн*; дойд*; дойде; идва*; получа; получ*; arriv*; receive*; get it; come; comes
T duration: работни дни; работен ден; работни дена; working days; business days; колко време; колко дни; за колко; колко бързо; до кога; how long; how many days; how fast; how soon; срок*; дни; ден; days; годин*; year*; месец*; month*; седмиц*; week*
T price: do i pay for; do i have to pay for; плащам ли за; плаща ли се; колко ми взимате; колко взимате; колко вземате; колко ми вземате; how much do you charge; колко ще платя; колко да платя; колко се плаща; колко плащам; how much do i pay; how much will i pay; цена; цени; цената; цените; ценат*; ценов*; ценоразпис*; струв*; стойност*; такс*; излез*; излиза*; плащам ли; заплащ*; price*; cost*; fee; fees; charge*; how much; pay extra; скъп*; expensive
T free: безплатн*; free; безплатно
T address: find your; find the store; how do i find; how to find; get to your; how to get to; адрес*; address*; location; located; намира*; намирате; стига; стигна; стигн*; метро*; паркинг*; parking; metro; directions; how to get; find you; булевард*; бул; улиц*; street
T carrier: кои куриери; с кои куриери; кой куриер; с кой куриер; куриерск* фирм*; куриерск* компан*; еконт или спиди; спиди или еконт; which courier*; what courier*; which delivery compan*; which carrier*; econt or speedy
T courier_office: офис*; спиди; speedy; еконт*; econt; ekont; spidi; автомат*; пакетомат*; office; locker*; box now; boxnow
W online: сайт*; онлайн*; интернет*; online; website; site; web; app; приложение*
W when: кога; кога ще; when; when will
W accept: прием*; приемате; accept*; take cards
T weather: времето; прогноз*; дъжд*; сняг*; weather; forecast; rain
T special_group: пенсионер*; студент*; учител*; многодетн*; инвалид*; pensioner*; student*; senior*; teacher*; military; veteran*
T other_payment: bank transfer; банков превод; по банков път; ваучери за храна; ваучер за храна; храна; food voucher*; meal voucher*; sodexo; содексо; edenred; bitcoin; биткойн*; крипто*; crypto*; ethereum; paypal; пейпал*
T availability: наличност*; в наличност; налични ли; in stock; out of stock; stock
W offer: предлаг*; offer*
W cash: в брой; кеш; cash; брой
W email: имейл*; мейл*; email*; e mail; mail
W refund: refund*; възстанов*; парите обратно; money back; get my money back; парите ми; парите; difference back; get back; claim back
T charity: дарява*; дарение*; дарите; благотворител*; donat*; charity
T battery: батери*; акумулатор*; battery; batteries
W where: къде; where; накъде
T tracking: follow it; follow my; follow the parcel; follow the order; къде е пратк*; къде е поръчк*; къде е колет*; къде се намира пратк*; докъде е; where is my order; where is my parcel; where is my package; where's my; видя къде; проследя*; проследяв*; следя*; следи*; track*; статус*; status; товарителниц*; докъде; where is my parcel; where is my package
T cancel: change the product in my order; change the product; change an order; change the order; ordered the wrong; поръчах грешн*; откаж*; откажа; анулир*; cancel*; отказ*; промен*; смени адрес*; change the address; change my order; modify*
W change: смен*; смяна; change*; промяна
T inspect: look inside; before i accept; before accepting; преди да приема; преди да я приема; check the package; check the parcel; check the item; before i pay; before paying; before i pay the courier; преди да платя; преди да платим; преди плащане; прегле*; прегледа*; огледа*; погледн*; inspect*; check the parcel; look at it before; open the parcel; open the box; отворя колета; отворя пратката; отворя кутията; преглед
T damage: вдлъбнат*; огънат*; огъна*; dented; повред*; счуп*; пукн*; пукнат*; откърт*; смачк*; одраск*; надраск*; счупен*; damag*; broken; broke; crack*; dent*; scratch*; smashed; arrived broken
T return: връщате ли парите; връщат ли парите; да върн*; да връщ*; не ми харесва; не ми хареса; не ми харесв*; не ми стана; не ми става; don't like; dont like; do not like; not happy with; changed my mind; размислих; върн*; връщ*; връщан*; return*; send it back; give back; връщане на парите
T exchange: different model; another model; a different one; instead of the one; replace it with; заменя*; замян*; замен*; заменя*; exchang*; swap*; замяна
W variant: модел*; цвят*; цвет*; размер*; друг*; model*; colour*; color*; size; other; another; бял; бели; бяла; черен; черна; черни; червен*; сив*; син; синя; white; black; red; grey; gray
T warranty: гаранц*; гаранционн*; warrant*; guarantee*
T outofwarranty: извън гаранция; извън гаранцията; след гаранцията; out of warranty; no warranty; без гаранция; изтекла гаранция; expired warranty
T repair: ремонт*; сервиз*; поправ*; поправя*; repair*; fix; fixed; fixing; servic*
T fault: се повреди; се повредил*; повреди се; се счупи; не включва; не пали; не загрява; не грее; не охлажда; не се зарежда; won't turn on; doesn't turn on; does not turn on; won't start; развал*; дефект*; спря да работи; спря; не работи; не тръгва; не се включва; тече; течe; бръмчи; stopped working; not working; doesn't work; faulty; defect*; broke down; leak*; stopped
T hours: работно време; работното време; работи ли; работите ли; работи; работите; работят; отворен*; отворено; отворени; затвар*; затвор*; open; opening; opens; close; closing; closes; hours; до колко часа; от колко часа; часа; час; часове; working time
W weekday: понеделник*; вторник*; сряда; сряд*; четвъртък*; петък; събот*; недел*; уикенд*; празни*; monday*; tuesday*; wednesday*; thursday*; friday*; saturday*; sunday*; weekend*; holiday*; днес; today; утре; tomorrow
T store: магазин*; шоурум*; store*; shop; shops; showroom; branch; физическ*
P sofia: софи*; sofia; sofiya; sofiq
P plovdiv: пловдив*; plovdiv
P varna: варна; варн*; varna
P city: бургас*; русе; стара загора; плевен*; благоевград*; велико търново; шумен*; добрич*; сливен*; хасково; пазарджик*; burgas; ruse; pleven
T card: карт*; карта; card*; visa; виза; mastercard; мастеркард*; maestro; маестро; revolut; револут*; apple pay; google pay; гугъл пей; епъл пей; гугъл; дебитн*; кредитн* карт*; debit; credit card
W pay: плат*; плащ*; платя; платите; pay; paying; payment*; pays; paid; checkout; charged
T installments: buy now pay later; pay later; pay over time; bnpl; split the payment; split payment; split*; разделя*; interest; лихв*; оскъпяван*; изплащане; на изплащане; вноск*; вноски; лизинг*; кредит*; на части; installment*; instalment*; monthly payments; in parts; finance; financing; loan*; разсроч*; разделя плащането
T cod: платя на куриера; плащане на куриера; платя на доставчика; платеж при доставка; платеж при получаване; плащане при получаване; в брой при доставката; при доставката в брой; при доставка в брой; наложен*; pay cash to the courier; cash to the courier; pay cash; платя в брой; плащане в брой; в брой при доставка; като ми го донесат; като го донесат; като ми ги донесат; when it is delivered; when it's delivered; cash on delivery; cod; при получаване; плащане при доставка; на куриера в брой; в брой на куриера; pay the courier; pay on delivery; pay when it arrives
T invoice: фактур*; еик; булстат; мол; фирм*; invoice*; company; business; vat number
T gift: подарък; подаръч*; подар*; ваучер*; gift*; voucher*
T loyalty: лоялн*; клиентск* карт*; клиентск*; клуб*; точк*; loyalty; points; club; member*; бонус*
T promo: промокод*; промо код*; код*; отстъпк*; coupon*; code*; promo code*; promocode*; discount code
W promotion: промо*; промоци*; promo*; promotion*
W discount: намал*; намален*; намаление; discount*; sale; отстъп*
T pickup: вземи от магазин; взема от магазин; взема от магазина; взема от вас; мина да; мина и; да мина; мина през; резерв*; резервир*; pick up; pickup; click and collect; collect in store; collect it in store; collect from the store; collect from store; collect at the store; in store pickup; store pickup
W order: поръч*; порач*; order*; покупк*; закуп*; купих; купя; купи; купувам; взех; bought; buy; buying; purchase*
T takeback: remove the old; take the old; take my old; стар* уред; стар*; извоз*; рециклир*; old; recycl*; haul away; take away; dispose*; вземете ли старата; вземете стария
T install: свързва*; connect*; hook up; монтаж*; монтир*; инсталир*; инсталац*; свързван*; install*; mount*; set up; setup; на стената; on the wall; wall
T contact: what email; email address; write to you; пиша ви; да ви пиша; поддръжк*; телефонът за; телефона за; viber; вайбър*; messenger; месинджър*; whatsapp; вацап; чат; chat; за връзка; връзка с вас; телефон за връзка; телефонът ви; телефона ви; вашия телефон; телефонен номер; номер за връзка; телефон на; телефони за връзка; обад*; обажд*; свърж*; контакт*; имейл за контакт; call center; call центъра; call центъра ви; call център; кол центъра; call centre; callcenter; кол център*; колцентър*; обслужване на клиенти; обслужване*; customer service; customer support; support; contact*; phone number; call you; call*; hotline
T password: парол*; password*; вляза; влизам; вход*; влез*; log in; login; sign in; logged out; can't log; cannot log
W account: акаунт*; профил*; регистрац*; регистрир*; account*; register*; sign up
T parts: кана; кани; каничк*; уплътнени*; jug; jugs; seal; seals; резервн* част*; резервн*; част; части; частта; консуматив*; филтър*; филтр*; торбич*; аксесоар*; дистанционн*; spare part*; spare*; part; parts; filter*; accessor*; bags; remote
T international: чужбин*; международ*; извън българия; друга държава; друга страна; гърция; германия; румъния; сърбия; турция; македония; англия; италия; испания; abroad; international*; another country; other country; outside bulgaria; overseas; greece; germany; romania; serbia; turkey; italy; spain; france; uk; europe; thessaloniki; солун; worldwide; germaniya; chuzhbina
T manual: ръководств*; инструкц*; упътван*; manual*; instruction*; user guide; documentation
W english: английск*; english; in english; bulgarian; български
T currency: евро; евра; euro*; eur; валут*; currenc*; bgn; лева или евро; in euros
W money: лв; лева; лев; лева; leva; lev; bgn; eur
T pricedrop: цената намаля; намаля цената; намалихте цената; поевтиня; price went down; price dropped; got cheaper; went on sale; разлик*; поевтиня*; поевтинял*; намали цената; цената падна; price drop*; price protection; difference; drops; dropped; cheaper now; price match*
W cheap: по евтин*; по ниска цена; ниска цена; по ниски цени; ниски цени; намалена цена; намалени цени; lower price; lower prices; reduced price; евтин*; cheap*; cheaper; по-изгодно; изгодн*
T taxfree: tax free; tax-free; taxfree; ддс; vat; турист*; tourist*; travell*; traveler*; tax refund
T privacy: изтри*; изтрия; delete*; eras*; remove my data; gdpr; лични данни; данни*; data; privacy; personal data; close my account; закрия профила; закрия*
T newsletter: бюлетин*; newsletter*; unsubscribe*; отпиш*; отпиша; абонамент*; абонира*; промоционални имейли; рекламни имейли; marketing; promotional; mailing list; the list; spam; спам*; stop getting; stop sending; deals email; weekly deals
T outlet: изложбен*; outlet; аутлет*; open box; open-box; openbox; refurbished; refurb*; реновиран*; рефърбиш*; ex-display; display model; мостр*; витринн*; от витрина; разопакован*; second hand; втора употреба
T insurance: застрахов*; застраховк*; insurance; insure*; кражба; кражб*; theft; stolen; открадн*
T buyback: изкупува*; изкупуван*; изкупувате; продам; продавам стар*; sell my; buy used; trade in; trade-in; tradein; buy back; buyback; use my old as
T sale_event: черен петък; black friday; cyber monday; коледни намаления; кога ще има намаления; кога има намаления; разпродажб*; when is the sale; next sale
T advice: кой да взема; кой да купя; кой лаптоп; кой телевизор; коя пералня; кой телефон; какво да купя; какво ще ми препоръчате; препоръч*; посъветва*; съвет*; recommend*; which one should; what should i buy; which laptop; which tv; which phone; best laptop; best tv; advise
T jobs: продавачи; продавач; продавачки; продавачка; служители; персонал*; търсите ли хора; търсите ли служители; работа; работно място; staff; employ*; наемате; наемат; назначава*; работа при вас; свободни позиции; позиция; кариер*; ваканци*; hiring; hire; jobs; job; vacanc*; career*; apply for a job; работа в магазина; да работя
W product: блендер*; blender*; кана за; чайник*; kettle*; хладилник*; пералн*; печк*; телевизор*; лаптоп*; компютър*; телефон*; смартфон*; миксер*; тостер*; слушалк*; прахосмукачк*; кафемашин*; микровълнов*; сешоар*; климатик*; съдомиялн*; уред*; техника; продукт*; стока; стоки; tv; tvs; television; laptop*; fridge*; refrigerator*; washing machine; washer; phone*; camera*; headphone*; vacuum*; appliance*; product*; item*; device*
O out_of_scope:human_request: manager; мениджър*; управител*; supervisor; speak to a; talk to a; говоря с; жив човек; с човек; човек; оператор*; служител*; консултант*; агент; бот; робот; human; real person; a person; person; operator; agent; representative; bot; robot; talk to someone; speak to someone; chovek
O out_of_scope:complaint: оплач*; оплакван*; жалб*; недоволен; недоволна; безобраз*; ужасн*; груб*; нагъл*; измам*; complain*; complaint*; rude; terrible; awful; scam; unacceptable; disgusting; worst; angry
O out_of_scope:competitor: технополис*; техномаркет*; зора; емаг; практикер*; озон; технополиса; technopolis; technomarket; zora; emag; praktiker; ozone; amazon; amazon's; aliexpress; алиекспрес; media markt; mediamarkt; jumbo; джъмбо
C chat: hope you're well; hope you are well; hope you're doing well; hope all is well; надявам се сте добре; приятен ден; приятна вечер; хубав ден; хубава вечер; лек ден; have a nice day; have a good day; all the best; много благодаря; здравейте; здравей; здрасти; здрасчи; здр; добър ден; добро утро; добър вечер; привет; ехо; хей; благодаря; благодаря ви; мерси; сенкс; thanks; thank you; thx; ty; hello; hi; hey; good morning; good evening; bye; чао; довиждане; как си; как сте; как е; как върви; what's up; how are you; супер; страхотно; ok; okay; окей; добре; great; nice; cool; lol; хаха; haha; ти; you
`

// covers lists concepts that answer for another one in an entry: an entry
// about a refund answers a question about returning money.
var covers = map[string][]string{
	"return": {"refund"},
}

// wordPattern is one word of a lexicon pattern.
type wordPattern struct {
	text     string
	runes    []rune
	root     bool
	cyrillic bool
}

// pattern is a lexicon pattern: one or more words naming a concept.
type pattern struct {
	concept string
	kind    byte
	words   []wordPattern
}

type lexicon struct {
	kinds    map[string]byte
	patterns []pattern      // longest first
	byFirst  map[rune][]int // patterns by the first letter of their first word
	singles  []int          // one-word patterns
}

// candidates are the patterns that may match from token t on, in order.
func (lx *lexicon) candidates(t token) []int {
	a := lx.byFirst[firstRune(t.raw)]
	if len(t.cyr) == 0 || firstRune(t.cyr[0]) == firstRune(t.raw) {
		return a
	}
	b := lx.byFirst[firstRune(t.cyr[0])]
	out := make([]int, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || len(a) > 0 && a[0] < b[0] {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

func firstRune(s string) rune {
	for _, r := range s {
		return r
	}
	return 0
}

func parseLexicon(src string) *lexicon {
	lx := &lexicon{kinds: map[string]byte{}}
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		head, body, _ := strings.Cut(line, ": ")
		kind, id := head[0], strings.TrimSpace(head[1:])
		lx.kinds[id] = kind
		for _, p := range strings.Split(body, ";") {
			p = strings.TrimSpace(textanalysis.FoldDiacritics(p))
			if p == "" || strings.HasSuffix(p, "?") {
				continue
			}
			pat := pattern{concept: id, kind: kind}
			for _, w := range strings.Fields(strings.ReplaceAll(p, "-", " ")) {
				wp := wordPattern{text: strings.TrimSuffix(w, "*"), root: strings.HasSuffix(w, "*")}
				wp.runes = []rune(wp.text)
				wp.cyrillic = textanalysis.IsCyrillic(wp.text)
				pat.words = append(pat.words, wp)
			}
			lx.patterns = append(lx.patterns, pat)
		}
	}
	// Longer phrases first, then longer words.
	sortPatterns(lx.patterns)
	lx.byFirst = map[rune][]int{}
	for i, p := range lx.patterns {
		r := firstRune(p.words[0].text)
		lx.byFirst[r] = append(lx.byFirst[r], i)
		if len(p.words) == 1 {
			lx.singles = append(lx.singles, i)
		}
	}
	return lx
}

func sortPatterns(ps []pattern) {
	weight := func(p pattern) int {
		n := 0
		for _, w := range p.words {
			n += len(w.runes)
		}
		return len(p.words)*1000 + n
	}
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && weight(ps[j]) > weight(ps[j-1]); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// match tells whether word pattern w matches token t: 2 exactly, 1 with a
// typo or through a reading that writes ъ, 0 not.
func (w wordPattern) match(t token, fuzzy bool) int {
	if t.number {
		return 0
	}
	var forms []string
	if w.cyrillic {
		forms = t.cyr
	} else if t.latin {
		forms = []string{t.raw}
	}
	for i, f := range forms {
		if w.root && strings.HasPrefix(f, w.text) || !w.root && f == w.text {
			if i == 0 {
				return 2
			}
			return 1
		}
	}
	if !fuzzy || len(forms) == 0 {
		return 0
	}
	f := []rune(forms[0])
	L := len(w.runes)
	if L < 5 || !w.cyrillic && L < 7 {
		return 0
	}
	if L == 5 && !sameLetters(f, w.runes) {
		return 0
	}
	if !w.root {
		if osa(f, w.runes, 1) <= 1 && len(f) >= 4 {
			return 1
		}
		return 0
	}
	for _, n := range []int{L, L + 1, L - 1} {
		// A root's last letter differing is an ending, not a typo
		// (разопаковал is not разопакован).
		if n <= L && n <= len(f) && string(f[:L-1]) == string(w.runes[:L-1]) {
			continue
		}
		if n <= len(f) && n > 0 && osa(f[:n], w.runes, 1) <= 1 {
			return 1
		}
	}
	return 0
}

// conceptHit is a concept found in a text; soft when it was found only
// through a doubtful reading.
type conceptHit struct {
	soft bool
}

// analysis is what the answerer knows of a text.
type analysis struct {
	tokens   []token
	concepts map[string]conceptHit
	terms    []string // keys of content words not taken by a concept
	content  int      // content words (not stop words, not chat)
}

func (lx *lexicon) analyze(text string, fuzzy bool) analysis {
	toks := tokenize(text)
	a := analysis{tokens: toks, concepts: map[string]conceptHit{}}
	used := make([]bool, len(toks))
	chat := make([]bool, len(toks))
	add := func(id string, soft bool) {
		if h, ok := a.concepts[id]; !ok || (h.soft && !soft) {
			a.concepts[id] = conceptHit{soft: soft}
		}
	}
	for _, pass := range []bool{false, true} {
		if pass && !fuzzy {
			break
		}
		for i := 0; i < len(toks); i++ {
			if used[i] || (pass && (toks[i].stop || utf8.RuneCountInString(toks[i].raw) < 4)) {
				continue
			}
			cands := lx.singles
			if !pass {
				cands = lx.candidates(toks[i])
			}
			for _, pi := range cands {
				p := lx.patterns[pi]
				if i+len(p.words) > len(toks) {
					continue
				}
				ok, soft := true, false
				for k, w := range p.words {
					if used[i+k] {
						ok = false
						break
					}
					m := w.match(toks[i+k], pass && len(p.words) == 1)
					if m == 0 {
						ok = false
						break
					}
					soft = soft || m == 1 && !pass && len(p.words) == 1 && lx.readsOtherwise(toks[i+k], p.concept)
				}
				if !ok {
					continue
				}
				// A Latin spelling read two ways (varna: Варна, върна)
				// leaves both concepts in doubt.
				if len(p.words) == 1 && toks[i].latin && len(toks[i].cyr) > 1 && p.kind == kindTopic {
					for _, qi := range lx.candidates(toks[i]) {
						q := lx.patterns[qi]
						if q.concept != p.concept && q.kind == kindTopic && len(q.words) == 1 && q.words[0].match(toks[i], false) == 1 {
							soft = true
							add(q.concept, true)
						}
					}
				}
				add(p.concept, soft)
				for k := range p.words {
					used[i+k] = true
					chat[i+k] = p.kind == kindChat
				}
				// A word may name a second concept of another kind
				// (телефон: contact and product).
				if len(p.words) == 1 {
					for _, qi := range lx.candidates(toks[i]) {
						q := lx.patterns[qi]
						if q.concept != p.concept && len(q.words) == 1 && q.words[0].match(toks[i], false) == 2 && lx.kinds[q.concept] == kindWeak {
							add(q.concept, soft)
						}
					}
				}
				break
			}
		}
	}
	for i, t := range toks {
		if t.stop || t.number {
			continue
		}
		if chat[i] || lx.kinds[conceptOf(lx, t)] == kindChat {
			continue
		}
		a.content++
		if !used[i] {
			a.terms = append(a.terms, t.keys...)
		}
	}
	return a
}

// conceptOf is the chat concept a single token names, if any.
func conceptOf(lx *lexicon, t token) string {
	for _, pi := range lx.candidates(t) {
		p := lx.patterns[pi]
		if p.kind == kindChat && len(p.words) == 1 && p.words[0].match(t, false) == 2 {
			return p.concept
		}
	}
	return ""
}

// sameLetters tells whether a is at most a reordering of the word w begins
// with: the one typo short words are allowed.
func sameLetters(a, w []rune) bool {
	if len(a) < len(w) {
		return false
	}
	count := map[rune]int{}
	for _, r := range a[:len(w)] {
		count[r]++
	}
	for _, r := range w {
		count[r]--
		if count[r] < 0 {
			return false
		}
	}
	return true
}

// readsOtherwise tells whether the plain reading of t names a topic or a
// place other than concept, which makes a doubtful reading of it doubtful
// indeed.
func (lx *lexicon) readsOtherwise(t token, concept string) bool {
	for _, qi := range lx.candidates(t) {
		q := lx.patterns[qi]
		if q.concept != concept && (q.kind == kindTopic || q.kind == kindPlace) && len(q.words) == 1 && q.words[0].match(t, false) == 2 {
			return true
		}
	}
	return false
}
